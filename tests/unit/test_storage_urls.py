"""Blob URLs Lifeboat may sign: Azure Storage hosts over https, or the configured Azurite."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from shared.config import Settings
from shared.errors import InvalidInput
from shared.storage_urls import check_blob_url

AZURITE = "http://127.0.0.1:10000/lbprimary"
LOCAL = Settings(
    primary_storage_connection_string=SecretStr(
        f"AccountName=lbprimary;AccountKey=a2V5;BlobEndpoint={AZURITE};"
    )
)


def test_azure_and_configured_azurite_urls_parse_into_their_parts() -> None:
    azure = check_blob_url("https://acct.blob.core.windows.net/vhds/a/b.vhd", LOCAL, "f")
    assert (azure.account, azure.container, azure.blob) == ("acct", "vhds", "a/b.vhd")
    assert azure.base == "https://acct.blob.core.windows.net"
    local = check_blob_url(f"{AZURITE}/vhds/b.vhd", LOCAL, "f")
    assert (local.account, local.container, local.blob) == ("lbprimary", "vhds", "b.vhd")
    assert local.base == AZURITE


def test_the_storage_suffix_follows_the_cloud() -> None:
    china = Settings(storage_endpoint_suffix="core.chinacloudapi.cn")
    assert (
        check_blob_url("https://acct.blob.core.chinacloudapi.cn/c/b", china, "f").account == "acct"
    )
    with pytest.raises(InvalidInput):
        check_blob_url("https://acct.blob.core.windows.net/c/b", china, "f")


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/acct/c/b.vhd",
        "https://acct.blob.core.windows.net.attacker.example/c/b.vhd",
        "https://a.b.blob.core.windows.net/c/b.vhd",
        "https://ACCT_1.blob.core.windows.net/c/b.vhd",
        "http://acct.blob.core.windows.net/c/b.vhd",
        "https://acct.blob.core.windows.net:8443/c/b.vhd",
        "https://acct.blob.core.windows.net:99999/c/b.vhd",
        "https://user:pw@acct.blob.core.windows.net/c/b.vhd",
        "https://acct.blob.core.windows.net/c/b.vhd?sig=secret",
        "https://acct.blob.core.windows.net/c/b.vhd#frag",
        "https://acct.blob.core.windows.net/only-container",
        "ftp://acct.blob.core.windows.net/c/b.vhd",
        "http://127.0.0.1:10001/lbprimary/c/b.vhd",
        "http://127.0.0.1:10000/otheraccount/c/b.vhd",
        "http://localhost:10000/lbprimary/c/b.vhd",
    ],
)
def test_every_other_url_is_invalid_input_naming_the_field(url: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_blob_url(url, LOCAL, "artifactId")
    assert err.value.field == "artifactId"
    assert "secret" not in str(err.value)
