"""Which blob URLs Lifeboat signs or sends its identity to: Azure Storage accounts in scope only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, unquote, urlsplit

from pydantic import SecretStr

from shared.azure.storage_accounts import ACCOUNT_NAME
from shared.config import Settings
from shared.errors import InvalidInput
from shared.scope import SETTING, in_scope

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class BlobAddress:
    """Account, container and blob name of a blob URL, and its account endpoint (`base`)."""

    account: str
    container: str
    blob: str
    base: str


def connection_string_parts(secret: SecretStr) -> dict[str, str]:
    """Return the `Name=value` parts of a storage connection string (it holds a key: never log)."""
    return dict(p.split("=", 1) for p in secret.get_secret_value().split(";") if "=" in p)


def local_blob_endpoints(settings: Settings) -> frozenset[str]:
    """The blob endpoints of the configured connection strings (Azurite), without a final '/'."""
    found = set()
    for secret in (
        settings.primary_storage_connection_string,
        settings.dr_storage_connection_string,
        settings.state_storage_connection_string,
    ):
        if secret is None:
            continue
        endpoint = connection_string_parts(secret).get("BlobEndpoint", "").rstrip("/")
        if (urlsplit(endpoint).hostname or "") in _LOOPBACK:
            found.add(endpoint.lower())
    return frozenset(found)


def check_blob_url(url: str, settings: Settings, field: str) -> BlobAddress:
    """Return the address of a blob URL on an Azure Storage host; reads nothing.

    Accepted: `https://<account>.blob.<Settings.storage_endpoint_suffix>/<container>/<blob>`,
    or a blob under a configured loopback (Azurite) blob endpoint. Raises InvalidInput naming
    `field` for any other scheme, host, port, user info, query or fragment.
    """
    parts = urlsplit(url.strip())
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise InvalidInput(field, "give the blob URL without a query string, SAS or fragment")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(field, "a blob URL carries no user name or password")
    host = (parts.hostname or "").lower()
    segments = [unquote(p) for p in parts.path.split("/") if p]
    if host in _LOOPBACK:
        return _local_address(parts.scheme, parts.netloc, segments, settings, field)
    suffix = f".blob.{settings.storage_endpoint_suffix.lower()}"
    if parts.scheme != "https":
        raise InvalidInput(field, "a blob URL must be https:// (credentials never go over http)")
    account = host.removesuffix(suffix)
    if not host.endswith(suffix) or not ACCOUNT_NAME.fullmatch(account) or _port(parts) != 443:
        raise InvalidInput(field, f"not an Azure Storage blob host (<account>{suffix})")
    return _address(account, segments, f"https://{host}", field)


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        return -1
    return 443 if port is None else port


def _local_address(
    scheme: str, netloc: str, segments: list[str], settings: Settings, field: str
) -> BlobAddress:
    account = segments[0] if segments else ""
    base = f"{scheme}://{netloc}/{account}"
    if base.lower() not in local_blob_endpoints(settings):
        raise InvalidInput(field, "a loopback blob URL must be under a configured blob endpoint")
    return _address(account, segments[1:], base, field)


def _address(account: str, segments: list[str], base: str, field: str) -> BlobAddress:
    if len(segments) < 2 or not ACCOUNT_NAME.fullmatch(account):
        raise InvalidInput(field, "a blob URL needs an account, a container and a blob name")
    return BlobAddress(account, segments[0], "/".join(segments[1:]), base)


def resolve_blob_url(
    clients: AzureClients, settings: Settings, url: str, field: str
) -> BlobAddress:
    """Return the address of a blob URL whose account is a storage account in scope.

    check_blob_url first, then one Resource Graph query over Settings.subscriptions: the
    account must be found there before anything is signed or sent to its host. Raises
    InvalidInput naming `field`; azure.core errors when Resource Graph fails.
    """
    from shared.azure.storage_accounts import find_storage_accounts

    address = check_blob_url(url, settings, field)
    found = find_storage_accounts(clients, address.account, settings.subscriptions)
    if not any(in_scope(rid.subscription, settings.subscriptions) for rid in found):
        raise InvalidInput(
            field,
            f"storage account {address.account} is not in the subscriptions in scope ({SETTING})",
        )
    return address
