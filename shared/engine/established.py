"""Established facts: what a protection re-reads no more once seen settled (kept in job data)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable


@runtime_checkable
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


def succeeded(resource: Settled) -> bool:
    """The default test of settled: ARM says provisioningState Succeeded."""
    return resource.provisioning_state.lower() == "succeeded"


class Established:
    """ARM bodies by resource id of what a job found settled; kept in its data between passes.

    A DR gallery or image definition does not change while a copy runs, so each pass after the
    first reads only what progresses. Besides bodies it remembers absences of the job's own
    targets (deterministic names only this job writes): a DR copy seen missing stays missing
    until the job writes it, and every write forgets (or `remember`s) its target. What the job
    deletes itself is forgotten at once; what someone else deletes meanwhile surfaces as the
    next write's 404, which fails the job, and the sweep's retry starts from a fresh read. A
    worker that dies after a write but before its job data is saved repeats that write on the
    next attempt: every write is an idempotent PUT or DELETE of a deterministic name.
    """

    def __init__(self, stored: Mapping[str, Any] | None = None) -> None:
        self._bodies: dict[str, dict[str, Any]] = {}
        self._absent: set[str] = set()
        for key, value in (stored or {}).items():
            if isinstance(value, Mapping):
                self._bodies[str(key)] = dict(value)
            elif value is None:
                self._absent.add(str(key))

    def read(
        self,
        key: object,
        read: Callable[[], T | None],
        parse: Callable[[Mapping[str, Any]], T],
        settled: Callable[[T], bool] = succeeded,
        *,
        own: bool = False,
    ) -> T | None:
        """Return the resource `key` from memory, else `read()` it (remembered once settled).

        With `own` (`key` is the job's own target) a miss is remembered too.
        """
        name = str(key).lower()
        known = self._bodies.get(name)
        if known is not None:
            return parse(known)
        if name in self._absent:
            return None
        found = read()
        if found is not None:
            self.remember(name, found, settled)
        elif own:
            self._absent.add(name)
        return found

    def remember(self, key: object, resource: T, settled: Callable[[T], bool] = succeeded) -> None:
        """Keep `resource` (a write's result, or a read) as the fact `key` once it is settled."""
        name = str(key).lower()
        self._absent.discard(name)
        self._bodies.pop(name, None)
        if resource.body and settled(resource):
            # JSON-safe, as job data must be (the SDK leaves datetimes in some bodies).
            self._bodies[name] = json.loads(json.dumps(dict(resource.body), default=str))

    def gone(self, key: object) -> None:
        """Remember that `key` no longer exists (the job deleted it)."""
        name = str(key).lower()
        self._bodies.pop(name, None)
        self._absent.add(name)

    def forget(self, key: object) -> None:
        """Drop `key` (the job wrote it and its result is not known yet)."""
        name = str(key).lower()
        self._bodies.pop(name, None)
        self._absent.discard(name)

    def to_json(self) -> dict[str, dict[str, Any] | None]:
        """Return what to keep in the job's data (None marks a target seen missing)."""
        out: dict[str, dict[str, Any] | None] = {k: dict(v) for k, v in self._bodies.items()}
        out.update(dict.fromkeys(sorted(self._absent)))
        return out
