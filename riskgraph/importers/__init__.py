"""Importers: public sources turned into data packages (docs/design.md §7.1).

One module per source, each a function ``import_<source>(path, **options)`` returning an
:class:`~riskgraph.importers.common.ImportResult`; :func:`write_import` writes it as a
package folder, all-or-nothing, with ``SOURCES.md`` and ``manifest.json`` citing the input.
"""

from __future__ import annotations

from riskgraph.importers.common import Alliances, ImportResult, write_import

__all__ = ["SOURCES", "Alliances", "ImportResult", "write_import"]

#: The sources ``riskgraph import`` knows, with the module of each.
SOURCES = {
    "sipri": "riskgraph.importers.sipri",
    "usgs": "riskgraph.importers.usgs",
    "openpsa": "riskgraph.importers.openpsa",
    "willems": "riskgraph.importers.willems",
}
