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
    "StructuralAnalysis": "analyses.structural", "structural_analysis": "analyses.structural",
    "centrality": "analyses.centrality",
    "concentration": "analyses.concentration",
    "alliance_survivability": "analyses.exposure", "nation_exposure": "analyses.exposure",
    "MonteCarloResult": "analyses.montecarlo", "monte_carlo": "analyses.montecarlo",
    "SupplyNetwork": "model.network", "build_network": "model.network", "load_network": "model.network",
    "node_id": "model.network", "split_node_id": "model.network",
    "DataPackage": "io.package", "read_package": "io.package", "write_package": "io.package",
    "RegisterWeights": "analyses.register", "risk_register": "analyses.register",
    "Scenario": "model.scenario", "read_scenarios": "model.scenario",
    "TABLES": "io.schema", "Defaults": "io.schema",
    "blast_radius": "analyses.spof", "critical_pairs": "analyses.spof", "single_points_of_failure": "analyses.spof",
    "Issue": "io.validation", "ValidationReport": "io.validation", "validate_package": "io.validation",
    "compare_scenarios": "analyses.whatif", "run_scenario": "analyses.whatif", "run_scenarios": "analyses.whatif",
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
