"""Counts the storage requests the app itself sends (not the host's queue polling), per run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

_local = threading.local()


class StorageCounter:
    """Counts HTTP requests to the given storage ports sent on threads inside `app_call()`.

    The app reaches Azurite through azure-core's requests transport, so the count is taken at
    `requests.adapters.HTTPAdapter.send`: every request on the wire, retries included.
    """

    def __init__(self, ports: set[int]) -> None:
        self._ports = ports
        self._lock = threading.Lock()
        self.calls = 0

    @contextmanager
    def installed(self) -> Iterator[StorageCounter]:
        """Count while the block runs; the transport is restored after."""
        from requests.adapters import HTTPAdapter

        original = HTTPAdapter.send
        counter = self

        def send(adapter: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(_local, "app", False) and urlparse(request.url).port in counter._ports:
                with counter._lock:
                    counter.calls += 1
            return original(adapter, request, *args, **kwargs)

        HTTPAdapter.send = send  # type: ignore[method-assign]
        try:
            yield self
        finally:
            HTTPAdapter.send = original  # type: ignore[method-assign]


@contextmanager
def app_call() -> Iterator[None]:
    """Mark the current thread as running an app invocation (an entry point of functions/)."""
    _local.app = True
    try:
        yield
    finally:
        _local.app = False
