"""riskgraph: exact supply-chain dependency risk analysis for allied defence procurement.

The data flow reads left to right, once::

    CSV folder -> read_package (validated tables) -> SupplyNetwork (compiled graph)
               -> analyses (DataFrames) -> figures / CSV exports / dashboard

The public names below are imported on first use (PEP 562), so ``riskgraph --help`` and
``import riskgraph`` stay fast; ``from riskgraph import load_network`` works as usual.
"""

from __future__ import annotations

import importlib

from riskgraph.errors import RiskgraphError, UsageError, ValidationError

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "StructuralAnalysis": "analysis", "structural_analysis": "analysis",
    "centrality": "centrality",
    "concentration": "concentration",
    "alliance_survivability": "exposure", "nation_exposure": "exposure",
    "MonteCarloResult": "montecarlo", "monte_carlo": "montecarlo",
    "SupplyNetwork": "network", "build_network": "network", "load_network": "network",
    "node_id": "network", "split_node_id": "network",
    "DataPackage": "package", "read_package": "package", "write_package": "package",
    "RegisterWeights": "register", "risk_register": "register",
    "Scenario": "scenario", "read_scenarios": "scenario",
    "TABLES": "schema", "Defaults": "schema",
    "blast_radius": "spof", "critical_pairs": "spof", "single_points_of_failure": "spof",
    "Issue": "validation", "ValidationReport": "validation", "validate_package": "validation",
    "compare_scenarios": "whatif", "run_scenario": "whatif", "run_scenarios": "whatif",
}

__all__ = sorted(["RiskgraphError", "UsageError", "ValidationError", *_EXPORTS])


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'riskgraph' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"riskgraph.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
