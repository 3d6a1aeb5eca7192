"""The demo's scenes, in the order they run.

A scene is a module with `TITLE: str` and `run(say) -> bool` (False when something unexpected
happened). A later feature adds its scene module here with one line.
"""

from __future__ import annotations

SCENES: tuple[str, ...] = (
    "demo.scenes.alerts",
    "demo.scenes.images",
    "demo.scenes.templates",
    "demo.scenes.vms",
    "demo.scenes.outage",
    "demo.scenes.drills",
    "demo.scenes.dashboard",
)
