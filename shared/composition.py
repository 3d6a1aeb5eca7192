"""The composition root: Settings and Azure clients, built lazily once per worker process."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from shared.config import Settings, load_settings

if TYPE_CHECKING:
    from azure.core.pipeline.transport import HttpTransport

    from shared.azure.clients import AzureClients


class _Root:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settings: Settings | None = None
        self.clients: AzureClients | None = None
        self.transport: HttpTransport[Any, Any] | None = None


_root = _Root()


def get_settings() -> Settings:
    """Return the process-wide Settings, reading the environment on first use."""
    with _root.lock:
        if _root.settings is None:
            _root.settings = load_settings()
        return _root.settings


def get_clients() -> AzureClients:
    """Return the process-wide AzureClients (SDK modules load on first use of each client)."""
    settings = get_settings()
    with _root.lock:
        if _root.clients is None:
            from shared.azure.clients import AzureClients

            _root.clients = AzureClients(settings, transport=_root.transport)
        return _root.clients


def use_transport(transport: HttpTransport[Any, Any] | None) -> None:
    """Send every SDK client built from now on through `transport` (None: the SDK default).

    Tests inject faults at the wire this way; the cached clients are dropped so that the next
    use builds them on the new transport.
    """
    with _root.lock:
        _root.transport = transport
        _root.clients = None


def reset() -> None:
    """Forget the cached Settings, clients and any injected transport (tests, settings change)."""
    with _root.lock:
        _root.settings = None
        _root.clients = None
        _root.transport = None
