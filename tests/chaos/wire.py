"""The chaos wire: an azure-core transport that records, and can kill at, every write we send.

The app builds every SDK client through shared.azure.clients.AzureClients; the suite hands it
this transport (shared.bootstrap.use_transport), so faults happen below all of our code, at
the point where a real worker process could die: just before a write leaves, or just after
its answer arrived and before the app could record it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from azure.core.pipeline.transport import HttpTransport, RequestsTransport

Moment = Literal["before", "after"]
# Methods that change state: ARM writes and actions, Storage writes (Table updates use MERGE).
_WRITES = frozenset({"PUT", "PATCH", "POST", "DELETE", "MERGE"})
# POSTs that only read: Resource Graph queries.
_READ_POSTS = ("/providers/microsoft.resourcegraph/resources",)


class WorkerKilled(BaseException):
    """The worker process died (a BaseException: no `except Exception` in the app stops it)."""


@dataclass(frozen=True)
class Write:
    """One write the app sent: which service, method, path, the answer's status, who sent it."""

    service: str
    method: str
    path: str
    status: int
    scope: str

    @property
    def point(self) -> str:
        """A readable name of the write, for failure messages."""
        return f"{self.scope}:{self.service} {self.method} {self.path}"


@dataclass(frozen=True)
class KillPoint:
    """Die just `moment` the `ordinal`-th (1-based) write sent inside a scope."""

    ordinal: int
    moment: Moment


class _Scope(threading.local):
    name: str | None = None


@dataclass
class ChaosTransport(HttpTransport):  # type: ignore[misc]
    """Wraps the SDK's RequestsTransport; every SDK client of the app sends through it.

    Requests (`sent`) and writes (`writes`) are recorded only inside `scope(...)` blocks (one
    trigger invocation: an HTTP request, an event, one queue delivery), so the local driver's
    own queue calls and the test's set-up are never counted or killed. Once a kill fired, the
    dead scope can send nothing more.
    """

    services: dict[int, str]
    connection_verify: str | bool = True
    inner: RequestsTransport = field(init=False)
    writes: list[Write] = field(default_factory=list)
    sent: list[Write] = field(default_factory=list)
    kill: KillPoint | None = None
    kills: int = 0

    def __post_init__(self) -> None:
        self.inner = RequestsTransport(connection_verify=self.connection_verify)
        self._scope = _Scope()
        self._lock = threading.Lock()
        self._dead = False
        self._count = 0

    # ---- test controls ------------------------------------------------------------------
    @contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Count (and maybe kill) the writes sent by this thread inside the block."""
        previous, self._scope.name = self._scope.name, name
        try:
            yield
        finally:
            self._scope.name = previous

    def arm_kill(self, point: KillPoint | None) -> None:
        """Die at `point` (counted from now); None disarms."""
        with self._lock:
            self.kill, self._count, self._dead = point, 0, False

    def revive(self) -> None:
        """A fresh worker: scopes may send again (the kill point stays spent)."""
        with self._lock:
            self._dead = False

    # ---- HttpTransport -------------------------------------------------------------------
    def send(self, request: Any, **kwargs: Any) -> Any:
        """Send `request`; record it when it is an in-scope write; die where armed."""
        scope = self._scope.name
        write = scope is not None and is_write(request.method, request.url)
        if scope is not None and self._dead:
            raise WorkerKilled(f"the worker is dead; {request.method} never left")
        ordinal = self._next() if write else 0
        self._maybe_kill(ordinal, "before", request)
        response = self.inner.send(request, **kwargs)
        if scope is not None:
            self._record(request, response.status_code, scope, write)
        self._maybe_kill(ordinal, "after", request)
        return response

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        # Clients are rebuilt for each fresh worker; the shared session stays open.
        return None

    def __enter__(self) -> ChaosTransport:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    # ---- internals -----------------------------------------------------------------------
    def _next(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def _maybe_kill(self, ordinal: int, moment: Moment, request: Any) -> None:
        point = self.kill
        if not ordinal or point is None or (point.ordinal, point.moment) != (ordinal, moment):
            return
        with self._lock:
            self._dead, self.kill = True, None
            self.kills += 1
        raise WorkerKilled(f"killed {moment} write {ordinal}: {request.method} {request.url}")

    def _record(self, request: Any, status: int, scope: str, write: bool) -> None:
        parts = urlsplit(request.url)
        service = self.services.get(parts.port or 0, parts.hostname or "?")
        sent = Write(service, request.method, parts.path, status, scope)
        with self._lock:
            self.sent.append(sent)
            if write:
                self.writes.append(sent)


def is_write(method: str, url: str) -> bool:
    """True for a request that changes state (a Resource Graph query is a read)."""
    if method.upper() not in _WRITES:
        return False
    path = urlsplit(url).path.lower()
    return not (method.upper() == "POST" and path.endswith(_READ_POSTS))
