"""What the template services act through: settings, Azure clients, the DR store and a clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.config import Settings
from shared.jobs.clock import Clock, system_clock
from shared.templates.store import TemplateStore

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients


@dataclass(frozen=True)
class TemplateDeps:
    """The ports of the template services; tests build one with an injected clock."""

    settings: Settings
    clients: AzureClients
    store: TemplateStore
    clock: Clock = system_clock


def default_deps(clock: Clock = system_clock) -> TemplateDeps:
    """Return the deps from the composition root (process-wide settings and clients).

    Raises ConfigurationError when settings or the DR storage account are missing.
    """
    from shared.composition import get_clients, get_settings

    settings = get_settings()
    clients = get_clients()
    store = TemplateStore(clients.blob_service("dr"), settings.templates_container)
    return TemplateDeps(settings, clients, store, clock)
