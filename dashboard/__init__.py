"""The riskgraph dashboard: a thin Dash app over the library (installed as riskgraph_dashboard)."""
