"""Id checks and name look-ups shared by the views (docs/design.md §2)."""

from __future__ import annotations

import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import CAPABILITY, SupplyNetwork

__all__ = ["capability_index", "nation_names", "node_index"]


def node_index(network: SupplyNetwork, typed, what: str = "node") -> int:
    """The compiled index of the typed id ``typed``.

    Raises
    ------
    UsageError
        When ``typed`` is not a non-empty string or not a node of ``network``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> node_index(load_network("tests/fixtures/worked"), "supplier:S_A") >= 0
    True
    """
    if not isinstance(typed, str) or not typed:
        raise UsageError(f"{what} must be a typed id such as 'supplier:S01', got {typed!r}")
    return network.index_of(typed)


def capability_index(network: SupplyNetwork, capability) -> int:
    """The compiled index of a capability id; UsageError for any other node or id."""
    i = node_index(network, capability, "capability")
    if network.compiled.kind[i] != CAPABILITY:
        raise UsageError(f"{capability!r} is not a capability; write capability:NATION/PLATFORM")
    return i


def nation_names(network: SupplyNetwork) -> pd.Series:
    """Nation name by (untyped) nation id."""
    return network.package.nations["name"]
