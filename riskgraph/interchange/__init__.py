"""Exports for other tools: Open-PSA fault trees (``openpsa``) and GraphML / GEXF graphs
(``graphs``), docs/design.md §7.6–7.7."""
