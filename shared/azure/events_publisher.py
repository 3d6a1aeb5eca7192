"""Publishing Lifeboat's CloudEvents to its Event Grid custom topic with the managed identity."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.eventgrid import EventGridPublisherClient

    from shared.azure.clients import AzureClients
    from shared.config import Settings

# One publish request holds at most 1 MB; Lifeboat's events are small, a step emits a few.
BATCH_SIZE = 100


class TopicPublisher:
    """EventGridPublisherClient on the topic endpoint, authenticated by a TokenCredential (the
    topic disables local auth: no access keys). A failed publish raises Lifeboat's error
    (shared.azure.failures: TransientError, ConfigurationError, AzureRefused)."""

    def __init__(self, clients: AzureClients, settings: Settings, endpoint: str) -> None:
        self._clients = clients
        self._settings = settings
        self._endpoint = endpoint
        self._client: EventGridPublisherClient | None = None
        self._lock = threading.Lock()

    def _get(self) -> EventGridPublisherClient:
        with self._lock:
            if self._client is None:
                from azure.eventgrid import EventGridPublisherClient

                self._client = EventGridPublisherClient(self._endpoint, self._clients.credential)
            return self._client

    def _call_options(self) -> dict[str, Any]:
        # The basic-tier client takes no transport options, so they go with each call; the
        # job backbone retries a failed publish, so the SDK tries once more at most.
        s = self._settings
        options: dict[str, Any] = {
            "connection_timeout": s.events_timeout_seconds,
            "read_timeout": s.events_timeout_seconds,
            "retry_total": 1,
        }
        if s.arm_ca_bundle:
            options["connection_verify"] = s.arm_ca_bundle
        return options

    def publish(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Publish `events` (CloudEvents 1.0 as JSON), in batches; raise if any batch fails."""
        from azure.core.messaging import CloudEvent

        from shared.azure.failures import azure_failures

        client = self._get()
        built = [
            CloudEvent(
                source=e["source"],
                type=e["type"],
                subject=e.get("subject"),
                id=e["id"],
                time=datetime.fromisoformat(e["time"]) if e.get("time") else None,
                datacontenttype=e.get("datacontenttype"),
                dataschema=e.get("dataschema"),
                data=e.get("data"),
            )
            for e in events
        ]
        for start in range(0, len(built), BATCH_SIZE):
            with azure_failures("event publish"):
                client.send(built[start : start + BATCH_SIZE], **self._call_options())
