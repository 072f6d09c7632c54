"""riskgraph: exact supply-chain dependency risk analysis for allied defence procurement.

The data flow reads left to right, once::

    CSV folder -> read_package (validated tables) -> SupplyNetwork (compiled graph)
               -> analyses (DataFrames) -> figures / CSV exports / dashboard
"""

from riskgraph.analysis import StructuralAnalysis, structural_analysis
from riskgraph.centrality import centrality
from riskgraph.concentration import concentration
from riskgraph.errors import RiskgraphError, UsageError, ValidationError
from riskgraph.exposure import alliance_survivability, nation_exposure
from riskgraph.montecarlo import MonteCarloResult, monte_carlo
from riskgraph.network import SupplyNetwork, build_network, load_network, node_id, split_node_id
from riskgraph.package import DataPackage, read_package, write_package
from riskgraph.register import RegisterWeights, risk_register
from riskgraph.scenario import Scenario, read_scenarios
from riskgraph.schema import TABLES, Defaults
from riskgraph.spof import blast_radius, critical_pairs, single_points_of_failure
from riskgraph.validation import Issue, ValidationReport, validate_package
from riskgraph.whatif import compare_scenarios, run_scenario, run_scenarios

__version__ = "0.1.0"

__all__ = [
    "MonteCarloResult",
    "monte_carlo",
    "RegisterWeights",
    "Scenario",
    "StructuralAnalysis",
    "alliance_survivability",
    "blast_radius",
    "centrality",
    "compare_scenarios",
    "concentration",
    "critical_pairs",
    "nation_exposure",
    "read_scenarios",
    "risk_register",
    "run_scenario",
    "run_scenarios",
    "single_points_of_failure",
    "structural_analysis",
    "write_package",
    "DataPackage",
    "Defaults",
    "Issue",
    "RiskgraphError",
    "SupplyNetwork",
    "TABLES",
    "UsageError",
    "ValidationError",
    "ValidationReport",
    "build_network",
    "load_network",
    "node_id",
    "read_package",
    "split_node_id",
    "validate_package",
]
