"""The analyses: pure functions of a SupplyNetwork (and parameters) returning DataFrames.

``spof`` (single points of failure, critical pairs, blast radius), ``concentration``,
``exposure`` (nation exposure, alliance survivability), ``centrality``, ``register`` (the
risk register), ``whatif``, ``montecarlo`` (front end; its engine is private beside it),
and ``structural`` (every structural analysis at once, as ``riskgraph analyse`` runs them).
"""
