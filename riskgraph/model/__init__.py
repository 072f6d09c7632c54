"""The model: the compiled dependency graph and the rules that propagate failures over it.

``network`` (SupplyNetwork: tables + compiled arrays) -> ``topology`` (successors,
predecessors, descendant and ancestor cones) -> ``propagation`` (the supply and
availability kernels, the one supply rule) and ``intervals`` (down-time windows);
``scenario`` is the plain data of a what-if.
"""
