"""Blob storage: server-side VHD copies into the DR account, and JSON records in the DR account."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.config import Settings
from shared.storage_urls import BlobAddress, connection_string_parts, resolve_blob_url

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

    from shared.azure.clients import AzureClients

# What the custom role needs on the SOURCE accounts (AIB staging storage, anywhere in scope):
# a user delegation key and read access, to sign a read-only SAS for a server-side copy.
# Writes (containers, blobs) happen only in the DR account, through the Storage Blob Data
# Contributor role the infra grants on that one account — never subscription-wide.
ACTIONS: tuple[str, ...] = (
    "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
)
DATA_ACTIONS: tuple[str, ...] = (
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
)

# Azure rejects SAS start times in its future; allow for clock skew between us and storage.
_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class BlobCopy:
    """A DR blob and the state of the copy that filled it (status None: not a copy)."""

    url: str
    status: str | None
    source: str | None
    copied_bytes: int | None = None
    total_bytes: int | None = None
    description: str | None = None
    started: datetime | None = None

    @property
    def percent(self) -> float | None:
        """Copy progress in percent, when Azure reported it."""
        if not self.total_bytes or self.copied_bytes is None:
            return None
        return 100.0 * self.copied_bytes / self.total_bytes


logger = logging.getLogger(__name__)


def _copy_state(url: str, props: Any) -> BlobCopy:
    copy = props.copy
    copied = total = None
    if copy and copy.progress and "/" in copy.progress:
        done, _, whole = copy.progress.partition("/")
        copied, total = int(done), int(whole)
    source = copy.source.split("?", 1)[0] if copy and copy.source else None
    # Copy Blob creates the destination when the copy starts: its creation time is the start.
    started = getattr(props, "creation_time", None)
    status = copy.status if copy else None
    description = copy.status_description if copy else None
    return BlobCopy(url, status, source, copied, total, description, started)


def get_dr_blob(clients: AzureClients, container: str, name: str) -> BlobCopy | None:
    """Return the DR-account blob with its copy state, or None when it does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    blob = clients.blob_service("dr").get_blob_client(container, name)
    try:
        props = blob.get_blob_properties()
    except ResourceNotFoundError:
        return None
    return _copy_state(blob.url.split("?", 1)[0], props)


def delete_dr_blob(clients: AzureClients, container: str, name: str) -> None:
    """Delete a DR-account blob (a failed copy, aborted if still pending); gone is success."""
    from azure.core.exceptions import ResourceNotFoundError

    blob = clients.blob_service("dr").get_blob_client(container, name)
    with contextlib.suppress(ResourceNotFoundError):
        blob.delete_blob()


def _ensure_container(service: BlobServiceClient, container: str) -> None:
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        service.create_container(container)


def _account_key(settings: Settings, account: str) -> str | None:
    secret = settings.primary_storage_connection_string
    if secret is None:
        return None
    parts = connection_string_parts(secret)
    return parts.get("AccountKey") if parts.get("AccountName") == account else None


def read_sas(
    clients: AzureClients, settings: Settings, url: str, field: str = "artifact_uri"
) -> str:
    """Return a read-only SAS for the blob at `url`, valid for Settings.images_sas_minutes.

    The URL must pass shared.storage_urls.resolve_blob_url first (an Azure Storage host, an
    account in scope): nothing is signed, and no user delegation key requested, for any other.
    Signed with a user delegation key (managed identity; needs Storage Blob Delegator), or with
    the account key of Settings.primary_storage_connection_string when it names the account.
    The token is a secret: never log it. Raises InvalidInput naming `field` for a refused URL.
    """
    return _sign(clients, settings, resolve_blob_url(clients, settings, url, field))


def _sign(clients: AzureClients, settings: Settings, address: BlobAddress) -> str:
    from azure.storage.blob import BlobSasPermissions, BlobServiceClient, generate_blob_sas

    now = datetime.now(UTC)
    start, expiry = now - _SKEW, now + timedelta(minutes=settings.images_sas_minutes)
    read = BlobSasPermissions(read=True)
    # The token stays in the DR blob's x-ms-copy-source: let it work over HTTPS only.
    https = "https" if address.base.startswith("https://") else None
    account, container, name = address.account, address.container, address.blob
    key = _account_key(settings, address.account)
    if key:
        return generate_blob_sas(
            account, container, name, account_key=key, permission=read, start=start,
            expiry=expiry, protocol=https,
        )  # fmt: skip
    service = BlobServiceClient(address.base, credential=clients.credential)
    delegation = service.get_user_delegation_key(start, expiry)
    return generate_blob_sas(
        account, container, name, user_delegation_key=delegation, permission=read,
        start=start, expiry=expiry, protocol=https,
    )  # fmt: skip


def start_copy_to_dr(
    clients: AzureClients, settings: Settings, source_url: str, container: str, name: str
) -> None:
    """Start a server-side copy of `source_url` into the DR account; does not wait.

    Storage copies the bytes itself (none pass through this process). Progress is read with
    get_dr_blob. Raises InvalidInput when `source_url` is not a blob of a storage account in
    scope (see read_sas).
    """
    sas = read_sas(clients, settings, source_url)
    service = clients.blob_service("dr")
    _ensure_container(service, container)
    blob = service.get_blob_client(container, name)
    blob.start_copy_from_url(f"{source_url}?{sas}")


def put_json(
    clients: AzureClients,
    container: str,
    name: str,
    data: Mapping[str, Any],
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write `data` as a JSON blob in the DR account (overwriting), with listable metadata."""
    from azure.storage.blob import ContentSettings

    service = clients.blob_service("dr")
    _ensure_container(service, container)
    service.get_blob_client(container, name).upload_blob(
        json.dumps(data, sort_keys=True, default=str).encode(),
        overwrite=True,
        metadata=dict(metadata or {}),
        content_settings=ContentSettings(content_type="application/json"),
    )


def get_json(clients: AzureClients, container: str, name: str) -> dict[str, Any] | None:
    """Return a JSON blob of the DR account, or None when it does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    blob = clients.blob_service("dr").get_blob_client(container, name)
    try:
        data: dict[str, Any] = json.loads(blob.download_blob().readall())
    except ResourceNotFoundError:
        return None
    return data


def list_metadata(clients: AzureClients, container: str, prefix: str) -> dict[str, dict[str, str]]:
    """Return blob name → metadata for every DR-account blob under `prefix` (one listing)."""
    from azure.core.exceptions import ResourceNotFoundError

    client = clients.blob_service("dr").get_container_client(container)
    try:
        return {
            b.name: dict(b.metadata or {})
            for b in client.list_blobs(name_starts_with=prefix, include=["metadata"])
        }
    except ResourceNotFoundError:
        return {}


class BlobRecordStore:
    """The record store on one container of the DR-region account (JSON blobs with metadata)."""

    def __init__(self, clients: AzureClients, container: str, dry_run: bool = False) -> None:
        self._clients = clients
        self._container = container
        self._dry_run = dry_run

    def put(self, name: str, body: Mapping[str, Any], metadata: Mapping[str, str]) -> None:
        """Write (overwrite) record `name` with its listable metadata; under LIFEBOAT_DRY_RUN
        only log what would be written."""
        if self._dry_run:
            logger.info("dry run: would write record %s", name, extra={"record": name})
            return
        put_json(self._clients, self._container, name, body, metadata)

    def get(self, name: str) -> dict[str, Any] | None:
        """Return record `name`, or None when there is none."""
        return get_json(self._clients, self._container, name)

    def list_metadata(self, prefix: str) -> dict[str, dict[str, str]]:
        """Return name → metadata of every record under `prefix` (one listing)."""
        return list_metadata(self._clients, self._container, prefix)

    def delete(self, name: str) -> None:
        """Delete record `name` (gone is success); under LIFEBOAT_DRY_RUN only log it."""
        if self._dry_run:
            logger.info("dry run: would delete record %s", name, extra={"record": name})
            return
        delete_dr_blob(self._clients, self._container, name)
