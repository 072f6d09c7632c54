"""The short text summary of a diff (docs/design.md §7.8): what ``riskgraph diff`` prints
and ``diff_summary.csv`` holds."""

from __future__ import annotations

__all__ = ["summary_lines"]


def _plural(n, one: str, many: str | None = None) -> str:
    return f"{n:,g} {one if n == 1 else (many or one + 's')}"


def _row_lines(rows) -> list[str]:
    if rows is None:
        return []
    if not len(rows):
        return ["rows: no table changed"]
    out = ["rows (added / removed / changed cells):"]
    for table, part in rows.groupby("table", sort=False):
        counts = part["change"].value_counts()
        out.append(f"  {table}: +{counts.get('added', 0):,} / -{counts.get('removed', 0):,}"
                   f" / ~{counts.get('changed', 0):,}")
    return out


def _per_capability(df, change: str, what: str, show, per_section: int) -> list[str]:
    part = df[df["change"] == change]
    out = []
    groups = sorted(part.groupby("capability", sort=False), key=lambda g: -len(g[1]))
    for cap, rows in groups[:per_section]:
        items = [show(r) for r in rows.itertuples(index=False)]
        head = ", ".join(items[:5]) + (" …" if len(items) > 5 else "")
        word = "new" if change == "gained" else "lost"
        out.append(f"  {_plural(len(rows), f'{word} {what}')} for {cap}: {head}")
    if len(groups) > per_section:
        out.append(f"  … and {len(groups) - per_section:,} more capabilities")
    return out


def summary_lines(result, per_section: int = 10) -> list[str]:
    """Lines of text: rows per table, then SPOFs and pairs gained/lost per capability
    (most first), the largest exposure and register changes, and time to impact."""
    lines = [f"diff {result.old} -> {result.new} ({result.mode}s)"]
    lines += _row_lines(result.rows)
    s, p = result.spof, result.pairs
    g, lo = int((s["change"] == "gained").sum()), int((s["change"] == "lost").sum())
    lines.append(f"SPOFs: {g:,} gained, {lo:,} lost")
    lines += _per_capability(s, "gained", "SPOF", lambda r: r.failure_point, per_section)
    lines += _per_capability(s, "lost", "SPOF", lambda r: r.failure_point, per_section)
    g, lo = int((p["change"] == "gained").sum()), int((p["change"] == "lost").sum())
    lines.append(f"critical pairs: {g:,} gained, {lo:,} lost")
    pair = lambda r: f"{{{r.failure_point_a}, {r.failure_point_b}}}"  # noqa: E731
    lines += _per_capability(p, "gained", "pair", pair, per_section)
    lines += _per_capability(p, "lost", "pair", pair, per_section)
    t = result.threshold
    e = result.exposure
    losses = _plural(len(e), "(nation, capability) loss", "(nation, capability) losses")
    lines.append(f"exposure: {losses} changed by "
                 f"more than {t:g}")
    for r in e.head(per_section).itertuples(index=False):
        lines.append(f"  {r.failing_nation_id} on {r.capability}: {_num(r.old)} -> "
                     f"{_num(r.new)}")
    reg = result.register
    lines.append(f"register: {_plural(len(reg), 'score')} changed by more than "
                 f"{_plural(100 * t, 'point')}")
    for r in reg.head(per_section).itertuples(index=False):
        lines.append(f"  {r.failure_point}: {_num(r.old)} -> {_num(r.new)}")
    if result.time_to_impact is not None:
        tti = result.time_to_impact
        lines.append(f"time to impact: {_plural(len(tti), 'capability', 'capabilities')} "
                     f"changed (per scenario)")
        for r in tti.head(per_section).itertuples(index=False):
            lines.append(f"  {r.scenario}: {r.capability} {_num(r.old, 'never')} -> "
                         f"{_num(r.new, 'never')} days")
    lines += [f"note: {n}" for n in result.notes]
    return lines


def _num(x, missing: str = "absent") -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return missing
    return missing if x != x else f"{x:.4g}"
