"""Compute's VM operation throttles (create, power-off, start, deallocate, restore points)."""

from __future__ import annotations

from typing import Any


def throttle_vm_operation(
    ctx: Any, subscription: str, region: str, vm_name: str, operation: str
) -> None:
    """Raise the emulator's 429 error when Compute's bucket for `operation` on this VM is empty."""
