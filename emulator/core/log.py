"""The request log: every request the emulator answered, for assertions and benchmarks."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

OpType = Literal["read", "write", "delete", "action"]

_OP_TYPES: dict[str, OpType] = {
    "GET": "read",
    "HEAD": "read",
    "PUT": "write",
    "PATCH": "write",
    "DELETE": "delete",
    "POST": "action",
}


def op_type_of(method: str) -> OpType:
    """Return the ARM operation type of an HTTP method (POST is an action)."""
    return _OP_TYPES.get(method.upper(), "action")


@dataclass(frozen=True)
class LogEntry:
    """One answered request."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    api_version: str
    op_type: OpType
    time: datetime
    fault: str | None = None
    error_code: str | None = None


class RequestLog:
    """Thread-safe list of LogEntry with small query helpers."""

    def __init__(self) -> None:
        self._entries: list[LogEntry] = []
        self._lock = threading.Lock()

    def add(self, entry: LogEntry) -> None:
        """Append an entry."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LogEntry]:
        """Return a snapshot of all entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def find(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        status: int | None = None,
        op_type: OpType | None = None,
    ) -> list[LogEntry]:
        """Return entries matching every given filter (path match is case-insensitive)."""
        needle = path_contains.lower() if path_contains else None
        return [
            e
            for e in self.entries()
            if (method is None or e.method == method.upper())
            and (needle is None or needle in e.path.lower())
            and (status is None or e.status == status)
            and (op_type is None or e.op_type == op_type)
        ]

    def count(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        status: int | None = None,
        op_type: OpType | None = None,
    ) -> int:
        """Return how many entries match (see find)."""
        return len(self.find(method, path_contains, status, op_type))

    def writes(self) -> list[LogEntry]:
        """Return PUT/PATCH entries."""
        return self.find(op_type="write")

    def reads(self) -> list[LogEntry]:
        """Return GET entries (op-status polls included)."""
        return self.find(op_type="read")

    def deletes(self) -> list[LogEntry]:
        """Return DELETE entries."""
        return self.find(op_type="delete")

    def actions(self) -> list[LogEntry]:
        """Return POST entries."""
        return self.find(op_type="action")

    def mutations(self) -> list[LogEntry]:
        """Return every non-read entry (PUT, PATCH, DELETE, POST)."""
        return [e for e in self.entries() if e.op_type != "read"]

    def clear(self) -> None:
        """Forget all entries."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
