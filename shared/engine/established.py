"""Established facts: resources that, once Succeeded, a protection re-reads no more (job data)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar


class Settled(Protocol):
    """A typed resource that remembers the ARM body it was parsed from."""

    @property
    def provisioning_state(self) -> str:
        """ARM's provisioningState."""
        ...

    @property
    def body(self) -> Mapping[str, Any]:
        """The ARM body it was parsed from."""
        ...


T = TypeVar("T", bound=Settled)


class Established:
    """ARM bodies by resource id of what a job found Succeeded; kept in its data between passes.

    A DR gallery or image definition does not change while a copy runs, so each pass after the
    first reads only what progresses. What the job deletes itself is forgotten at once; what
    someone else deletes meanwhile surfaces as the next write's 404, which fails the job, and
    the sweep's retry starts from a fresh read.
    """

    def __init__(self, stored: Mapping[str, Any] | None = None) -> None:
        self._bodies: dict[str, dict[str, Any]] = {
            str(k): dict(v) for k, v in (stored or {}).items() if isinstance(v, Mapping)
        }

    def read(
        self, key: object, read: Callable[[], T | None], parse: Callable[[Mapping[str, Any]], T]
    ) -> T | None:
        """Return the resource `key` from memory, else `read()` it (remembered once Succeeded)."""
        name = str(key).lower()
        known = self._bodies.get(name)
        if known is not None:
            return parse(known)
        found = read()
        if found is not None and found.body and found.provisioning_state.lower() == "succeeded":
            # JSON-safe, as job data must be (the SDK leaves datetimes in some bodies).
            self._bodies[name] = json.loads(json.dumps(dict(found.body), default=str))
        return found

    def forget(self, key: object) -> None:
        """Drop `key` (the job deleted it, or a write's result replaces it)."""
        self._bodies.pop(str(key).lower(), None)

    def to_json(self) -> dict[str, dict[str, Any]]:
        """Return what to keep in the job's data."""
        return {k: dict(v) for k, v in self._bodies.items()}
