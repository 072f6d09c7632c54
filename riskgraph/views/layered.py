"""Column and row positions for drawing a small graph left to right, labels never clashing.

A front end draws a bounded part of the graph (:mod:`.subgraph`, :mod:`.why`) with each
node in a column (the way material flows, left to right) and a row within it. With one
node per grid cell and labels narrower than a column, no two labels can overlap at any
zoom, so the drawing can stay at full size (labels legible) and scroll instead of
shrinking to fit.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

__all__ = ["layered_layout"]


def _longest_path_layers(nodes: list, edges: list[tuple]) -> dict:
    """Layer of each node: the most edges on a path into it from a node with no input."""
    preds = defaultdict(list)
    indeg = dict.fromkeys(nodes, 0)
    succ = defaultdict(list)
    for s, t in edges:
        succ[s].append(t)
        preds[t].append(s)
        indeg[t] += 1
    layer = dict.fromkeys(nodes, 0)
    ready = [v for v in nodes if indeg[v] == 0]
    while ready:
        v = ready.pop()
        for t in succ[v]:
            layer[t] = max(layer[t], layer[v] + 1)
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    return layer


def layered_layout(nodes, edges: pd.DataFrame, column=None) -> pd.DataFrame:
    """A grid position for each node: ``column`` (0 …, left to right) and ``row``.

    Parameters
    ----------
    nodes
        Node ids, in the order ties are broken.
    edges
        ``source`` and ``target`` columns (edges to or from unknown nodes are ignored; the
        graph among ``nodes`` must be acyclic).
    column
        Optional column of each node (a mapping or Series; any sortable values, ranked so
        the columns are 0, 1, … without gaps). Without it a node's column is its longest
        path from a node with no drawn input.

    Returns
    -------
    pandas.DataFrame
        Indexed by node: ``column`` and ``row`` (0 at the top). Rows follow one barycentre
        pass left to right (each node near the mean row of its inputs), which keeps
        chains straight and crossings few.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"source": ["a", "b", "c"], "target": ["c", "c", "d"]})
    >>> layered_layout(["a", "b", "c", "d"], e).to_dict("index")["d"]
    {'column': 2, 'row': 0}
    """
    nodes = list(nodes)
    known = set(nodes)
    pairs = [(s, t) for s, t in zip(edges["source"], edges["target"])
             if s in known and t in known and s != t]
    if column is None:
        col = _longest_path_layers(nodes, pairs)
    else:
        values = sorted({column[v] for v in nodes})
        rank = {x: i for i, x in enumerate(values)}
        col = {v: rank[column[v]] for v in nodes}
    preds = defaultdict(list)
    for s, t in pairs:
        preds[t].append(s)
    row: dict = {}
    order = {v: i for i, v in enumerate(nodes)}
    for c in sorted(set(col.values())):
        members = [v for v in nodes if col[v] == c]

        def centre(v):
            placed = [row[u] for u in preds[v] if u in row]
            return (sum(placed) / len(placed) if placed else float("inf"), order[v])

        for i, v in enumerate(sorted(members, key=centre)):
            row[v] = i
    return pd.DataFrame({"column": [col[v] for v in nodes], "row": [row[v] for v in nodes]},
                        index=pd.Index(nodes, name="node"))
