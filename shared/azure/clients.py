"""Composition of Azure SDK clients from Settings: lazy imports, one client per scope, reused."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from shared.config import Settings
from shared.errors import ConfigurationError

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, TokenCredential
    from azure.core.pipeline.transport import HttpTransport
    from azure.data.tables import TableServiceClient
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.imagebuilder import ImageBuilderClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient
    from azure.mgmt.resourcegraph import ResourceGraphClient
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueServiceClient

StorageRole = Literal["state", "dr"]

# Connections kept per host: Settings.worker_threads, the invocations a Python worker runs at
# once (PYTHON_THREADPOOL_THREAD_COUNT); requests' default of 10 made the rest open, handshake
# and discard a connection per call.


T = TypeVar("T")


class SingleFlight:
    """Per-key single flight with a short memory, for first-time creations many jobs race to.

    Concurrent callers of `run(key, ...)` share one call: the first makes it, the others wait
    and get its result; a result `keep` accepts is handed out for `ttl` seconds more, so the
    jobs of one worker that all missed the DR gallery PUT it once. After `ttl` the next caller
    makes the call again (something deleted meanwhile is created again). Per worker process:
    each instance may still make its own (idempotent) call.
    """

    def __init__(self, ttl: float = 300.0) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._flights: dict[str, threading.Lock] = {}
        self._kept: dict[str, tuple[float, Any]] = {}

    def run(self, key: str, call: Callable[[], T], keep: Callable[[T], bool]) -> T:
        """Return `call()`'s result, made once however many threads ask for `key` at once."""
        name = key.lower()
        with self._lock:
            flight = self._flights.setdefault(name, threading.Lock())
        with flight:
            kept = self._kept.get(name)
            if kept is not None and time.monotonic() - kept[0] < self._ttl:
                result: T = kept[1]
                return result
            result = call()
            if keep(result):
                self._kept[name] = (time.monotonic(), result)
            else:
                self._kept.pop(name, None)
            return result


class EmulatorCredential:
    """A fixed bearer token for the local ARM emulator; Settings allow it only on loopback."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.credentials import AccessToken

        return AccessToken("lifeboat-emulator-token", int(time.time()) + 3600)


class AzureClients:
    """Builds SDK clients on first use and keeps them for the life of the worker process.

    `transport` (default: each client's own azure-core RequestsTransport) is the wire every
    client sends through; tests pass one that injects faults there, below all of our code.
    """

    def __init__(
        self,
        settings: Settings,
        credential: TokenCredential | None = None,
        transport: HttpTransport[Any, Any] | None = None,
    ) -> None:
        self._settings = settings
        self._credential = credential
        self._injected = transport
        self._cache: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._session: Any = None
        self._session_lock = threading.Lock()  # _get holds _lock while a client is built
        self.creations = SingleFlight()  # first-time creations jobs race to (the DR gallery)

    @property
    def credential(self) -> TokenCredential:
        """The credential: the emulator's token, or DefaultAzureCredential (managed identity)."""
        if self._credential is None:
            if self._settings.credential == "emulator":
                self._credential = EmulatorCredential()
            else:
                from azure.identity import DefaultAzureCredential

                self._credential = DefaultAzureCredential()
        return self._credential

    def _transport(self, **config: Any) -> Any:
        """An azure-core transport on the worker's one pooled session (sized for its threads)."""
        import requests
        from azure.core.pipeline.transport import RequestsTransport
        from requests.adapters import HTTPAdapter

        with self._session_lock:
            if self._session is None:
                session = requests.Session()
                size = self._settings.worker_threads
                adapter = HTTPAdapter(pool_connections=8, pool_maxsize=size)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                self._session = session
        return RequestsTransport(session=self._session, session_owner=False, **config)

    def _storage_kwargs(self) -> dict[str, Any]:
        return {"transport": self._injected or self._transport()}

    def _arm_kwargs(self) -> dict[str, Any]:
        s = self._settings
        kwargs: dict[str, Any] = {
            "base_url": s.arm_endpoint,
            "credential_scopes": [s.arm_endpoint.rstrip("/") + "/.default"],
        }
        if s.arm_ca_bundle:
            kwargs["connection_verify"] = s.arm_ca_bundle
        verify = {"connection_verify": s.arm_ca_bundle} if s.arm_ca_bundle else {}
        kwargs["transport"] = self._injected or self._transport(**verify)
        if s.polling_interval_seconds is not None:
            kwargs["polling_interval"] = s.polling_interval_seconds
        return kwargs

    def _get(self, key: tuple[str, str], build: Any) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    def compute(self, subscription: str) -> ComputeManagementClient:
        """Return the Compute client for `subscription`."""

        def build() -> ComputeManagementClient:
            from azure.mgmt.compute import ComputeManagementClient

            return ComputeManagementClient(self.credential, subscription, **self._arm_kwargs())

        client: ComputeManagementClient = self._get(("compute", subscription.lower()), build)
        return client

    def image_builder(self, subscription: str) -> ImageBuilderClient:
        """Return the Image Builder client for `subscription`."""

        def build() -> ImageBuilderClient:
            from azure.mgmt.imagebuilder import ImageBuilderClient

            return ImageBuilderClient(self.credential, subscription, **self._arm_kwargs())

        client: ImageBuilderClient = self._get(("imagebuilder", subscription.lower()), build)
        return client

    def network(self, subscription: str) -> NetworkManagementClient:
        """Return the Network client for `subscription` (DR NICs)."""

        def build() -> NetworkManagementClient:
            from azure.mgmt.network import NetworkManagementClient

            return NetworkManagementClient(self.credential, subscription, **self._arm_kwargs())

        client: NetworkManagementClient = self._get(("network", subscription.lower()), build)
        return client

    def resource_graph(self) -> ResourceGraphClient:
        """Return the Resource Graph client (tenant scope)."""

        def build() -> ResourceGraphClient:
            from azure.mgmt.resourcegraph import ResourceGraphClient

            return ResourceGraphClient(self.credential, **self._arm_kwargs())

        client: ResourceGraphClient = self._get(("resourcegraph", ""), build)
        return client

    def resources(self, subscription: str) -> ResourceManagementClient:
        """Return the Resources client for `subscription` (DR resource groups)."""

        def build() -> ResourceManagementClient:
            from azure.mgmt.resource.resources import ResourceManagementClient

            return ResourceManagementClient(self.credential, subscription, **self._arm_kwargs())

        key = ("resources", subscription.lower())
        client: ResourceManagementClient = self._get(key, build)
        return client

    def subscriptions(self) -> SubscriptionClient:
        """Return the Subscriptions client (locations and their pairs)."""

        def build() -> SubscriptionClient:
            from azure.mgmt.resource.subscriptions import SubscriptionClient

            return SubscriptionClient(self.credential, **self._arm_kwargs())

        client: SubscriptionClient = self._get(("subscriptions", ""), build)
        return client

    def _account(self, role: StorageRole) -> tuple[str | None, str | None]:
        s = self._settings
        if role == "state":
            conn = s.state_storage_connection_string
            return (conn.get_secret_value() if conn else None), s.state_storage_account
        conn = s.dr_storage_connection_string
        return (conn.get_secret_value() if conn else None), s.dr_storage_account

    def _endpoint(self, role: StorageRole, service: str) -> tuple[str | None, str]:
        conn, account = self._account(role)
        if conn:
            return conn, ""
        if not account:
            setting = (
                "AzureWebJobsStorage__accountName"
                if role == "state"
                else ("LIFEBOAT_DR_STORAGE_ACCOUNT")
            )
            raise ConfigurationError(setting, f"no {role} storage account configured")
        return None, f"https://{account}.{service}.{self._settings.storage_endpoint_suffix}"

    def blob_service(self, role: StorageRole) -> BlobServiceClient:
        """Return the Blob client for the state or the DR-region storage account."""

        def build() -> BlobServiceClient:
            from azure.storage.blob import BlobServiceClient

            conn, url = self._endpoint(role, "blob")
            if conn:
                return BlobServiceClient.from_connection_string(conn, **self._storage_kwargs())
            return BlobServiceClient(url, credential=self.credential, **self._storage_kwargs())

        client: BlobServiceClient = self._get(("blob", role), build)
        return client

    def queue_service(self, role: StorageRole = "state") -> QueueServiceClient:
        """Return the Queue client for job messages.

        Message bodies are base64 text, as host.json's messageEncoding tells the Functions
        queue trigger; shared.jobs encodes them itself, because the SDK's get_queue_client
        does not inherit a service client's encode/decode policies.
        """

        def build() -> QueueServiceClient:
            from azure.storage.queue import QueueServiceClient

            conn, url = self._endpoint(role, "queue")
            if conn:
                return QueueServiceClient.from_connection_string(conn, **self._storage_kwargs())
            return QueueServiceClient(url, credential=self.credential, **self._storage_kwargs())

        client: QueueServiceClient = self._get(("queue", role), build)
        return client

    def table_service(self, role: StorageRole = "state") -> TableServiceClient:
        """Return the Table client for job records."""

        def build() -> TableServiceClient:
            from azure.data.tables import TableServiceClient

            conn, url = self._endpoint(role, "table")
            if conn:
                return TableServiceClient.from_connection_string(conn, **self._storage_kwargs())
            return TableServiceClient(url, credential=self.credential, **self._storage_kwargs())

        client: TableServiceClient = self._get(("table", role), build)
        return client
