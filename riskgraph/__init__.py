"""riskgraph: exact supply-chain dependency risk analysis for allied defence procurement.

The data flow reads left to right, once::

    CSV folder -> read_package (validated tables) -> SupplyNetwork (compiled graph)
               -> analyses (DataFrames) -> figures / CSV exports / dashboard
"""

from riskgraph.errors import RiskgraphError, UsageError, ValidationError
from riskgraph.network import SupplyNetwork, build_network, load_network, node_id, split_node_id
from riskgraph.package import DataPackage, read_package
from riskgraph.schema import TABLES, Defaults
from riskgraph.validation import Issue, ValidationReport, validate_package

__version__ = "0.1.0"

__all__ = [
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
