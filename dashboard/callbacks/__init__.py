"""Callbacks, one module per page; each module's ``register(app)`` wires its functions.

The functions themselves are plain module-level functions, so tests call them directly.
"""

from __future__ import annotations

from .. import diffview
from . import (allocate, data, mitigate, montecarlo, nations, network, overview, register,
               shell, sovereignty, whatif, why)

__all__ = ["register_all", "MODULES"]

MODULES = (shell, overview, network, why, register, nations, whatif, allocate, montecarlo,
           mitigate, sovereignty, data, diffview)


def register_all(app) -> None:
    for module in MODULES:
        module.register(app)
