"""Disk/snapshot export SAS: a real read-only (or read-write), short-lived SAS URL in Azurite."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.core import Core

CONTAINER = "md-exports"
MARKER = b"lifeboat-emulated-disk-content:"
DEFAULT_BLOB_BYTES = 1024 * 1024


def content_header(content_id: str) -> bytes:
    """Return the first 512-byte page of an exported blob: a marker naming the disk content."""
    return (MARKER + content_id.encode()).ljust(512, b"\0")


def read_content_id(header: bytes) -> str | None:
    """Return the content id from an exported blob's first page, or None."""
    if not header.startswith(MARKER):
        return None
    return header[len(MARKER) :].rstrip(b"\0").decode(errors="replace") or None


def export(core: Core, blob_name: str, content_id: str, write: bool, seconds: int) -> str:
    """Create the page blob in Azurite's primary account and return a SAS URL for it.

    Without Azurite, return an Azure-shaped URL that cannot be read (documented).
    """
    if core.azurite is None:
        return (
            f"https://md-emulated.z1.blob.storage.azure.net/{CONTAINER}/{blob_name}"
            f"?sv=2018-03-28&sr=b&si={core.new_guid()}&sig=emulated"
        )
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas

    from emulator.azurite import ACCOUNTS, PRIMARY_ACCOUNT

    blob = _container(core).get_blob_client(blob_name)
    size = _blob_bytes(core)
    blob.create_page_blob(size)
    blob.upload_page(content_header(content_id), offset=0, length=512)
    sas = generate_blob_sas(
        PRIMARY_ACCOUNT,
        CONTAINER,
        blob_name,
        account_key=ACCOUNTS[PRIMARY_ACCOUNT],
        permission=BlobSasPermissions(read=True, write=write),
        # Storage checks SAS expiry against real time, not the emulated clock.
        expiry=datetime.now(UTC) + timedelta(seconds=seconds),
    )
    return f"{blob.url}?{sas}"


def _container(core: Core) -> Any:
    """Return the export container client in Azurite's primary account (created if absent)."""
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import BlobServiceClient

    from emulator.azurite import PRIMARY_ACCOUNT

    assert core.azurite is not None
    service = BlobServiceClient.from_connection_string(
        core.azurite.connection_string(PRIMARY_ACCOUNT)
    )
    container = service.get_container_client(CONTAINER)
    with contextlib.suppress(ResourceExistsError):
        container.create_container()
    return container


def _blob_bytes(core: Core) -> int:
    configured: Any = core.extensions["compute"].sas_blob_bytes
    size = int(configured or DEFAULT_BLOB_BYTES)
    return max(1024, size - size % 512)


def revoke(core: Core, blob_name: str) -> None:
    """Delete the exported blob so earlier SAS URLs stop working (already gone is fine)."""
    if core.azurite is None:
        return
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient

    from emulator.azurite import PRIMARY_ACCOUNT

    service = BlobServiceClient.from_connection_string(
        core.azurite.connection_string(PRIMARY_ACCOUNT)
    )
    with contextlib.suppress(ResourceNotFoundError):
        service.get_blob_client(CONTAINER, blob_name).delete_blob()


def imported_content(core: Core, source_uri: str) -> tuple[bool, str | None]:
    """Return (exists, content id) of an Azurite blob URL; (True, None) for non-Azurite URLs."""
    if core.azurite is None or not source_uri.startswith(
        f"http://127.0.0.1:{core.azurite.blob_port}/"
    ):
        return True, None
    from azure.core.exceptions import HttpResponseError
    from azure.storage.blob import BlobClient

    from emulator.azurite import ACCOUNTS

    account = source_uri.split("/")[3]
    base = source_uri.split("?", maxsplit=1)[0]
    credential = {"account_name": account, "account_key": ACCOUNTS.get(account, "")}
    client = BlobClient.from_blob_url(base, credential=credential)
    try:
        header = client.download_blob(offset=0, length=512).readall()
    except HttpResponseError:
        return False, None
    return True, read_content_id(header)
