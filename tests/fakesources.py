"""Made-up source files in the published layouts, for importer tests and benchmarks.

Nothing here is real data: designations, deals and chains are random.

* :func:`write_fake_sipri` writes a trade register CSV as SIPRI's site exports it (preamble
  lines, the header with its unnamed uncertainty columns, quoted numbers) and returns the
  deals as dicts, so tests can compute what the import must give.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

__all__ = ["write_fake_sipri", "SIPRI_HEADER", "FAKE_COUNTRIES"]

SIPRI_HEADER = ["Recipient", "Supplier", "Year of order", "", "Number ordered", "",
                "Weapon designation", "Weapon description", "Number delivered", "",
                "Year(s) of delivery", "status", "Comments", "SIPRI TIV per unit",
                "SIPRI TIV for total order", "SIPRI TIV of delivered weapons"]

#: (name as the register writes it, ISO alpha-3)
FAKE_COUNTRIES = [("United States", "USA"), ("Germany", "DEU"), ("France", "FRA"),
                  ("Poland", "POL"), ("UK", "GBR"), ("South Korea", "KOR"),
                  ("Russia", "RUS"), ("China", "CHN"), ("India", "IND"),
                  ("Turkiye", "TUR"), ("Sweden", "SWE"), ("Brazil", "BRA")]


def write_fake_sipri(rng: random.Random, path, *, deals: int = 20, designs: int = 6,
                     bad_rows: int = 0) -> list[dict]:
    """Write a made-up trade register; return the good deals written.

    Each deal dict has ``recipient``, ``supplier`` (ISO ids), ``design``, ``year``,
    ``delivered`` (0 for an order with nothing delivered) and ``line`` (its physical line).
    ``bad_rows`` rows with an unusable "Number delivered" are mixed in (not returned).
    """
    names = [f"Fake-{i}{rng.choice('ABCXYZ')}" for i in range(designs)]
    makers = {d: rng.sample(FAKE_COUNTRIES, rng.randint(1, 3)) for d in names}
    lines = ['"Transfers of major weapons: Deals with deliveries or orders made for '
             '2000 to 2025"',
             '"Note: made-up data in the layout of the SIPRI trade register; not SIPRI data"',
             '"Information generated: 01 December 2026"', ""]
    out = []
    rows = []
    bad_at = set(rng.sample(range(deals + bad_rows), bad_rows))
    for k in range(deals + bad_rows):
        design = rng.choice(names)
        supplier = rng.choice(makers[design])
        recipient = rng.choice(FAKE_COUNTRIES)
        year = rng.randint(2000, 2025)
        delivered = rng.choice([0, 1, 2, 5, 12, 40, 1200])
        text = f"({delivered})" if rng.random() < 0.2 else str(delivered)
        if delivered == 0:
            text = ""
        if k in bad_at:
            text = rng.choice(["many", "n/a", "-3"])
        rows.append([recipient[0], supplier[0], str(year), rng.choice(["", "?"]),
                     str(max(delivered, 1)), "", design, "made-up weapon", text, "",
                     "", "", rng.choice(["", "second-hand", "Deal worth $5 m"]),
                     "1", "1", "1"])
        if k not in bad_at:
            out.append({"recipient": recipient[1], "supplier": supplier[1],
                        "design": design, "year": year, "delivered": delivered,
                        "row": len(rows) - 1})
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(lines) + "\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(SIPRI_HEADER)
        w.writerows(rows)
    for deal in out:
        deal["line"] = len(lines) + 2 + deal.pop("row")
    return out
