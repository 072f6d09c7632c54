"""The data-package schema, as data: one row per column of every table.

Everything that reads, validates, documents or exports a table looks its columns up here,
so the types, ranges, defaults and references of docs/design.md §2 live in exactly one place,
together with the probability and recovery defaults of :class:`Defaults`.

Examples
--------
>>> TABLES["sourcing"].column("share").low
0.0
>>> [c.name for c in TABLES["fielding"].columns if c.required]
['nation_id', 'platform_id']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

__all__ = [
    "ALIGNMENTS",
    "COMPONENT_KINDS",
    "Column",
    "Defaults",
    "LIMITS",
    "Limits",
    "Table",
    "TABLES",
]

#: Alignment of a nation relative to the alliance under study (docs/design.md §2).
ALIGNMENTS = ("member", "partner", "neutral", "adversary")
#: What a component is.
COMPONENT_KINDS = ("platform", "system", "part", "material")
#: The longest duration any input may give, in days: 100 years (docs/design.md §2).
MAX_DAYS = 36_525.0
#: The largest BOM or fielding quantity: far above any real one, and small enough that the
#: allocation LP (docs/design.md §4.11) stays well conditioned (1e9 broke HiGHS).
MAX_QUANTITY = 1_000_000.0


@dataclass(frozen=True)
class Limits:
    """Bounds on what an input file may ask for, in one place (docs/design.md §2).

    Beyond them a file is refused with a clear error, before any large allocation: they
    keep a hostile or corrupt file from running for minutes or exhausting memory.

    >>> LIMITS.max_days, LIMITS.max_columns, LIMITS.max_scenarios
    (36525.0, 1000, 1000)
    """

    #: stock_days, recovery_days, lead_time_days, a scenario's horizon_days and days
    max_days: float = MAX_DAYS
    #: bom.csv and fielding.csv quantity
    max_quantity: float = MAX_QUANTITY
    #: header columns of one CSV file (schema columns plus extra ones)
    max_columns: int = 1_000
    #: characters in one CSV field (Python's csv default field limit)
    max_field_chars: int = 131_072
    #: input file size, unless the caller raises it (``--max-file-mb``)
    max_file_bytes: int = 512 * 1024 * 1024
    #: scenarios in one scenario file, unless the caller raises it (``--max-scenarios``)
    max_scenarios: int = 1_000
    #: nesting of arrays and inline tables in a scenario file
    max_toml_depth: int = 16
    #: levels of a bill of materials (parts inside parts); real ones have a few dozen
    max_bom_depth: int = 1_000


#: The limits riskgraph applies.
LIMITS = Limits()


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``type`` is one of ``id`` (the table's own key), ``ref`` (a reference to another
    table's key, see ``ref``), ``text``, ``enum`` (one of ``values``), ``float`` or ``int``.
    Numbers must lie in ``[low, high]``; ``low_open``/``high_open`` make a bound strict.
    ``required`` columns must be present and every cell filled; optional columns may be
    absent or empty, and then take ``default`` (``None``: stays missing).
    """

    name: str
    type: str
    required: bool = False
    default: object = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    values: tuple[str, ...] = ()
    ref: str | None = None
    unit: str = ""
    description: str = ""

    @property
    def numeric(self) -> bool:
        return self.type in ("float", "int")

    def range_text(self) -> str:
        """The valid range in words, for error messages.

        >>> TABLES["sourcing"].column("share").range_text()
        '0 < share <= 1'
        """
        parts = []
        if self.low is not None:
            parts.append(f"{_num(self.low)} {'<' if self.low_open else '<='} ")
        parts.append(self.name)
        if self.high is not None:
            parts.append(f" {'<' if self.high_open else '<='} {_num(self.high)}")
        text = "".join(parts)
        if self.type == "int":
            text += " (a whole number)"
        return text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Table:
    """One CSV file of a data package."""

    name: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


_PROB = dict(type="float", low=0.0, high=1.0, unit="probability")

TABLES: MappingProxyType[str, Table] = MappingProxyType(
    {
        "nations": Table(
            "nations",
            required=True,
            key=("nation_id",),
            description="Nations that produce, own or field; alignment is relative to the alliance.",
            columns=(
                Column("nation_id", "id", True, description="ISO 3166-1 alpha-3 code"),
                Column("name", "text", True, description="Display name"),
                Column("alignment", "enum", True, values=ALIGNMENTS,
                       description="member, partner, neutral or adversary"),
                Column("alliances", "text", default="",
                       description="';'-separated alliance tags, e.g. NATO;EU"),
                Column("disruption_prob", **_PROB,
                       description="Probability the nation's supply is disrupted "
                                   "(default by alignment)"),
                Column("veto_prob", **_PROB, default=0.0,
                       description="Probability the nation refuses export licences "
                                   "(docs/design.md §3.4; default 0)"),
            ),
        ),
        "suppliers": Table(
            "suppliers",
            required=True,
            key=("supplier_id",),
            description="Producing sites or firms.",
            columns=(
                Column("supplier_id", "id", True),
                Column("name", "text", True),
                Column("nation_id", "ref", True, ref="nations",
                       description="Nation where it produces"),
                Column("owner_nation_id", "ref", ref="nations",
                       description="Nation of the ultimate owner (default: nation_id)"),
                Column("lat", "float", low=-90.0, high=90.0, unit="degrees",
                       description="Site latitude"),
                Column("lon", "float", low=-180.0, high=180.0, unit="degrees",
                       description="Site longitude"),
                Column("disruption_prob", **_PROB,
                       description="Probability the site is disrupted (default 0.02)"),
                Column("recovery_days", "float", low=0.0, high=MAX_DAYS, unit="days",
                       description="Days to recover after a disruption (default 90)"),
                Column("ncage", "text", description="NATO commercial and government entity code"),
            ),
        ),
        "components": Table(
            "components",
            required=True,
            key=("component_id",),
            description="Anything made or mined: platforms, systems, parts, materials.",
            columns=(
                Column("component_id", "id", True),
                Column("name", "text", True),
                Column("kind", "enum", True, values=COMPONENT_KINDS),
                Column("stock_days", "float", default=0.0, low=0.0, high=MAX_DAYS,
                       unit="days",
                       description="Days of stock held downstream of this item"),
                Column("min_sources", "int", default=1, low=1.0,
                       description="Suppliers that must be up for sourcing to hold"),
                Column("disruption_prob", **_PROB,
                       description="Probability the item itself fails (default 0)"),
                Column("nsn", "text", description="NATO stock number"),
            ),
        ),
        "bom": Table(
            "bom",
            required=False,
            key=("parent_id", "child_id"),
            description="Bill of materials: the parent needs the child.",
            columns=(
                Column("parent_id", "ref", True, ref="components"),
                Column("child_id", "ref", True, ref="components"),
                Column("quantity", "float", default=1.0, low=0.0, low_open=True,
                       high=MAX_QUANTITY,
                       unit="items per parent"),
                Column("substitute_group", "text", default="",
                       description="Rows of one parent sharing a non-empty group are "
                                   "interchangeable"),
            ),
        ),
        "sourcing": Table(
            "sourcing",
            required=True,
            key=("component_id", "supplier_id"),
            description="Who can supply what, and how much of the alliance's demand.",
            columns=(
                Column("component_id", "ref", True, ref="components"),
                Column("supplier_id", "ref", True, ref="suppliers"),
                Column("share", "float", True, low=0.0, high=1.0, low_open=True,
                       unit="fraction of demand"),
                Column("lead_time_days", "float", low=0.0, high=MAX_DAYS, unit="days"),
                Column("confidence", "float", low=0.0, high=1.0, unit="0-1"),
                Column("source", "text", description="Where the row comes from"),
            ),
        ),
        "fielding": Table(
            "fielding",
            required=True,
            key=("nation_id", "platform_id"),
            description="The nation operates the platform: one capability.",
            columns=(
                Column("nation_id", "ref", True, ref="nations"),
                Column("platform_id", "ref", True, ref="components",
                       description="A component of kind platform"),
                Column("quantity", "float", low=0.0, high=MAX_QUANTITY,
                       unit="items in service"),
            ),
        ),
        "controls": Table(
            "controls",
            required=False,
            key=("item_id", "controlling_nation_id"),
            description="Export controls: a nation whose licence an item needs "
                        "(docs/design.md §3.4).",
            columns=(
                Column("item_id", "ref", True,
                       description="A component_id or supplier_id (checked in "
                                   "riskgraph.io.controls)"),
                Column("controlling_nation_id", "ref", True, ref="nations",
                       description="The nation whose veto stops the item"),
                Column("regime", "text", default="",
                       description="Control regime, e.g. ITAR, EAR, national"),
                Column("exempt_nation_ids", "text", default="",
                       description="';'-separated nations that need no licence"),
                Column("source", "text", description="Where the row comes from"),
                Column("confidence", "float", low=0.0, high=1.0, unit="0-1"),
            ),
        ),
        "mitigations": Table(
            "mitigations",
            required=False,
            key=("action_id",),
            description="Candidate mitigation actions with costs (docs/design.md §4.10); "
                        "each kind's columns are checked in riskgraph.io.mitigations.",
            columns=(
                Column("action_id", "id", True),
                Column("kind", "enum", True,
                       values=("second_source", "stock", "substitute", "capacity")),
                Column("component_id", "ref", True, ref="components",
                       description="The component the action changes (substitute: the "
                                   "component that joins the group)"),
                Column("supplier_id", "ref", ref="suppliers",
                       description="second_source, capacity: the supplier"),
                Column("share", "float", low=0.0, high=1.0, low_open=True,
                       unit="fraction of demand",
                       description="second_source: its share; capacity: the new share"),
                Column("stock_days", "float", low=0.0, unit="days",
                       description="stock: days of stock added"),
                Column("parent_id", "ref", ref="components",
                       description="substitute: the parent whose BOM gains it"),
                Column("substitute_group", "text",
                       description="substitute: the parent's group, or a plain child's id"),
                Column("cost", "float", True, low=0.0, description="Cost (any one currency)"),
                Column("lead_time_days", "float", low=0.0, unit="days"),
                Column("description", "text"),
                Column("source", "text", description="Where the row comes from"),
            ),
        ),
    }
)


@dataclass(frozen=True)
class Defaults:
    """Every default of docs/design.md §2 that depends on more than a column, in one place.

    Override by constructing with keyword arguments, e.g.
    ``Defaults(supplier_disruption_prob=0.05)``.

    >>> Defaults().nation_disruption_prob["adversary"]
    0.2
    """

    nation_disruption_prob: MappingProxyType = field(
        default_factory=lambda: MappingProxyType(
            {"member": 0.01, "partner": 0.02, "neutral": 0.05, "adversary": 0.20}
        )
    )
    supplier_disruption_prob: float = 0.02
    component_disruption_prob: float = 0.0
    supplier_recovery_days: float = 90.0
    nation_recovery_days: float = 365.0
    component_recovery_days: float = 90.0

    def __post_init__(self) -> None:
        probs = dict(self.nation_disruption_prob)
        if set(probs) != set(ALIGNMENTS):
            raise ValueError(f"nation_disruption_prob needs exactly the keys {ALIGNMENTS}")
        object.__setattr__(self, "nation_disruption_prob", MappingProxyType(probs))
        for name in ("supplier_disruption_prob", "component_disruption_prob", *probs):
            value = probs[name] if name in probs else getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
                raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
        for name in ("supplier_recovery_days", "nation_recovery_days",
                     "component_recovery_days"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number of days >= 0, got {value!r}")

    def to_dict(self) -> dict:
        """Plain data (for manifests and cache keys); :meth:`from_dict` inverts it.

        >>> Defaults.from_dict(Defaults(nation_recovery_days=200).to_dict()).nation_recovery_days
        200
        """
        return {f.name: (dict(v) if isinstance(v := getattr(self, f.name), Mapping) else v)
                for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Defaults":
        """Defaults from :meth:`to_dict`'s form; missing keys keep their defaults."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown default(s) {', '.join(map(repr, unknown))}; "
                             f"valid: {', '.join(sorted(known))}")
        return cls(**dict(data))
