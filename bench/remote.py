"""The ARM emulator in its own process, so the app under measurement does not share its GIL.

The bench drives the emulator through a small facade (`RemoteArm`) with the parts of
`emulator.server.ArmEmulator` it uses: `seed`, `clock`, `log`, `faults`, `endpoint`, `ca_file`.
Calls cross a `multiprocessing` manager connection; the emulated clock is mirrored locally
because only the bench moves it (the app reads it on every step).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.managers import BaseManager
from typing import Any

from emulator.azurite import Azurite
from emulator.stack import SUBSCRIPTION, app_environment, app_settings


class _Emulator:
    """Lives in the child process: the real ArmEmulator and the calls the bench makes on it."""

    def __init__(self, ports: tuple[int, int, int]) -> None:
        from emulator.server import ArmEmulator

        self._arm = ArmEmulator(azurite=Azurite(*ports)).start()

    def address(self) -> tuple[str, str]:
        return self._arm.endpoint, self._arm.ca_file

    def seed(self, estate: dict[str, Any]) -> list[str]:
        return self._arm.seed(estate)

    def now(self) -> datetime:
        return self._arm.clock.now()

    def advance(self, seconds: float) -> datetime:
        return self._arm.clock.advance(seconds)

    def clear_log(self) -> None:
        self._arm.log.clear()

    def op_counts(self) -> Counter[str]:
        return Counter(str(e.op_type) for e in self._arm.log.entries())

    def entries(self) -> list[tuple[str, int]]:
        return [(str(e.op_type), e.status) for e in self._arm.log.entries()]

    def latency(self, seconds: float, jitter: float = 0.0) -> None:
        self._arm.faults.latency(seconds, jitter)

    def rate_limits(self, enabled: bool, real_time: bool = False) -> None:
        self._arm.faults.rate_limits(enabled, real_time=real_time)

    def stop(self) -> None:
        self._arm.stop()


class _Manager(BaseManager):
    pass


_Manager.register("Emulator", _Emulator)


@dataclass(frozen=True)
class Entry:
    """One logged ARM request, as the bench reads it."""

    op_type: str
    status: int


class _Clock:
    def __init__(self, remote: Any) -> None:
        self._remote = remote
        self._now: datetime = remote.now()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now = self._remote.advance(seconds)
            return self._now


class _Log:
    def __init__(self, remote: Any) -> None:
        self._remote = remote

    def clear(self) -> None:
        self._remote.clear_log()

    def counts(self) -> Counter[str]:
        """ARM calls by operation type (read, write, delete, action) since the last clear."""
        counts: Counter[str] = self._remote.op_counts()
        return counts

    def entries(self) -> list[Entry]:
        return [Entry(op, status) for op, status in self._remote.entries()]


class _Faults:
    def __init__(self, remote: Any) -> None:
        self._remote = remote

    def latency(self, seconds: float, jitter: float = 0.0) -> None:
        self._remote.latency(seconds, jitter)

    def rate_limits(self, enabled: bool, real_time: bool = False) -> None:
        self._remote.rate_limits(enabled, real_time)


class RemoteArm:
    """The bench's handle on the emulator process (see the module docstring)."""

    def __init__(self, remote: Any) -> None:
        self._remote = remote
        self.endpoint, self.ca_file = remote.address()
        self.clock = _Clock(remote)
        self.log = _Log(remote)
        self.faults = _Faults(remote)

    def seed(self, estate: Mapping[str, Any]) -> list[str]:
        """Load resources into the emulator; return their ids."""
        ids: list[str] = self._remote.seed(dict(estate))
        return ids


@dataclass(frozen=True)
class RemoteAzure:
    """Azurite and the emulator process, and the subscription the app protects."""

    arm: RemoteArm
    azurite: Azurite
    subscription: str


@contextmanager
def remote_azure(subscription: str = SUBSCRIPTION) -> Iterator[RemoteAzure]:
    """Start Azurite and the emulator process, point the app at them; restore everything after."""
    from emulator.azurite import start_azurite

    azurite = start_azurite()
    manager = _Manager(ctx=multiprocessing.get_context("spawn"))
    manager.start()
    try:
        ports = (azurite.blob_port, azurite.queue_port, azurite.table_port)
        emulator = manager.Emulator(ports)  # type: ignore[attr-defined]
        arm = RemoteArm(emulator)
        env = app_settings(arm, azurite, subscription)  # type: ignore[arg-type]  # duck-typed
        try:
            with app_environment(env):
                yield RemoteAzure(arm, azurite, subscription)
        finally:
            emulator.stop()
    finally:
        manager.shutdown()
        azurite.stop()
