"""The composition root: Settings and Azure clients, built lazily once per worker process."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from shared.config import Settings, load_settings

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients


class _Root:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settings: Settings | None = None
        self.clients: AzureClients | None = None


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

            _root.clients = AzureClients(settings)
        return _root.clients


def reset() -> None:
    """Forget the cached Settings and clients (tests, and after a settings change)."""
    with _root.lock:
        _root.settings = None
        _root.clients = None
