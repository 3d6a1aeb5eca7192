"""Resource providers of the ARM emulator; each module has `register(core)` (see CONTRACT.md)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.core import Core

PROVIDERS = (
    "resourcegroups",
    "compute",
    "network",
    "locations",
    "galleries",
    "imagebuilder",
    "resourcegraph",
    "incidents",
    "health",
    "eventgrid",
    "activity_log",
    "loganalytics",
)


def load_all(core: Core, names: tuple[str, ...] | None = None) -> list[str]:
    """Register the providers `names` (default all) that exist; return the names loaded."""
    loaded: list[str] = []
    for name in names or PROVIDERS:
        module_name = f"{__name__}.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(core)
        loaded.append(name)
    return loaded
