"""Local stand-ins for Azure used by tests, the demo and benchmarks. Never deployed."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy so `import emulator` (and emulator.azurite) stays free of side effects and heavy imports.
    if name == "ArmEmulator":
        from emulator.server import ArmEmulator

        return ArmEmulator
    raise AttributeError(name)
