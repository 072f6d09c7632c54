"""The model: the compiled dependency graph and the rules that propagate failures over it.

``network`` (SupplyNetwork: tables + compiled arrays) -> ``topology`` (successors,
predecessors, descendant and ancestor cones) -> ``propagation`` (the supply kernel and the
one supply rule) and ``bitpacked`` (availability of many trials at once), ``intervals``
and ``downtime`` (down-time windows and the what-if time pass); ``scenario`` is the plain
data of a what-if.
"""
