"""Ready-to-show views of a network and its analyses, for front ends (the dashboard).

Every function here is a pure function of a :class:`~riskgraph.model.network.SupplyNetwork`,
a :class:`~riskgraph.analyses.structural.StructuralAnalysis` or a what-if result: it returns
a DataFrame or a small dataclass, never mutates its inputs and knows nothing of Dash or
plotting. The dashboard only formats what these return, so every number it shows is
computed here or in the analysis modules (and is the same number the CLI writes).

One module per concept:

* :mod:`.lookup` — id checks and name look-ups the others share;
* :mod:`.options` — picker options (capabilities, failure points, any node);
* :mod:`.search` — searching long lists on the server;
* :mod:`.capability` — one capability's single points of failure and critical pairs;
* :mod:`.sites` — supplier sites for a map;
* :mod:`.subgraph` — a bounded, focused part of the graph;
* :mod:`.detail` — one node's side panel;
* :mod:`.heatmap` — matrices for heatmaps;
* :mod:`.nations` — nation dependence and alliance-only survivability;
* :mod:`.montecarlo` — the two kinds of importance of a Monte Carlo run;
* :mod:`.whatif` — what-if matrices, down intervals, headline, story, margins, differences;
* :mod:`.why` — the dependency chains from a failure point to a capability.

Graph walks use the compiled arrays (:attr:`SupplyNetwork.compiled`), so they scale to
large packages without building the networkx graph (docs/design.md §6).
"""

from .capability import capability_pairs, capability_spofs
from .detail import node_detail, node_inputs
from .heatmap import Heatmap, capability_matrix, exposure_heatmap
from .lookup import capability_index, nation_names, node_index
from .nations import nation_dependence, survivability_summary
from .montecarlo import importance_views
from .options import KIND_LABELS, capability_options, failure_point_options, node_options
from .search import search_options, search_table, search_words, table_text
from .sites import supplier_sites
from .subgraph import DIRECTIONS, Subgraph, edges_among, focus_subgraph
from .whatif import (DIFFERENCE_METRICS, down_intervals, margin_rows, scenario_differences,
                     scenario_rows, whatif_headline, whatif_matrix, whatif_story)
from .why import TIERS, WhyGraph, spof_chains, why_chains, why_graph

__all__ = [
    "DIRECTIONS",
    "KIND_LABELS",
    "TIERS",
    "WhyGraph",
    "Heatmap",
    "Subgraph",
    "capability_index",
    "capability_matrix",
    "capability_options",
    "capability_pairs",
    "capability_spofs",
    "down_intervals",
    "edges_among",
    "exposure_heatmap",
    "failure_point_options",
    "focus_subgraph",
    "nation_dependence",
    "nation_names",
    "node_detail",
    "node_index",
    "node_inputs",
    "node_options",
    "scenario_rows",
    "search_options",
    "search_table",
    "search_words",
    "supplier_sites",
    "survivability_summary",
    "table_text",
    "whatif_headline",
    "whatif_matrix",
    "whatif_story",
    "importance_views",
    "margin_rows",
    "scenario_differences",
    "DIFFERENCE_METRICS",
    "spof_chains",
    "why_chains",
    "why_graph",
]
