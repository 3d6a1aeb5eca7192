"""The emulator core: HTTPS, routing, store, LROs, errors, clock, faults, log (see CONTRACT.md)."""

from __future__ import annotations

from emulator.core import errors
from emulator.core.app import Core
from emulator.core.clock import Clock
from emulator.core.errors import ArmError
from emulator.core.faults import Faults
from emulator.core.log import LogEntry, RequestLog
from emulator.core.lro import Operation, Operations
from emulator.core.router import Request, Response, Router
from emulator.core.store import Store, TypeHooks, name_of, normalize_location, type_of

__all__ = [
    "ArmError",
    "Clock",
    "Core",
    "Faults",
    "LogEntry",
    "Operation",
    "Operations",
    "Request",
    "RequestLog",
    "Response",
    "Router",
    "Store",
    "TypeHooks",
    "errors",
    "name_of",
    "normalize_location",
    "type_of",
]
