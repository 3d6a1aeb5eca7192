"""The client factory: built lazily from Settings, one client per scope, emulator guard rails."""

from __future__ import annotations

import pytest

from shared.azure.clients import AzureClients, EmulatorCredential
from shared.config import Settings
from shared.errors import ConfigurationError

SUB = "00000000-0000-0000-0000-000000000001"


def _settings(**values: object) -> Settings:
    return Settings.model_validate(values)


def test_emulator_settings_reach_the_sdk_client_configuration() -> None:
    settings = _settings(
        arm_endpoint="https://127.0.0.1:8443",
        credential="emulator",
        polling_interval_seconds=0,
        arm_ca_bundle="/tmp/ca.pem",
    )
    clients = AzureClients(settings)
    compute = clients.compute(SUB)
    assert compute._config.polling_interval == 0
    assert compute._config.base_url == "https://127.0.0.1:8443"
    assert compute._config.credential_scopes == ["https://127.0.0.1:8443/.default"]
    assert isinstance(clients.credential, EmulatorCredential)
    assert clients.credential.get_token("x").token


def test_clients_are_built_once_per_scope() -> None:
    clients = AzureClients(_settings())
    assert clients.compute(SUB) is clients.compute(SUB.upper())
    assert clients.compute(SUB) is not clients.compute(SUB.replace("1", "2"))
    assert clients.resource_graph() is clients.resource_graph()


def test_default_credential_is_managed_identity_chain() -> None:
    clients = AzureClients(_settings())
    assert type(clients.credential).__name__ == "DefaultAzureCredential"


def test_storage_without_account_or_connection_names_the_setting() -> None:
    clients = AzureClients(_settings())
    with pytest.raises(ConfigurationError) as err:
        clients.blob_service("dr")
    assert err.value.setting == "LIFEBOAT_DR_STORAGE_ACCOUNT"
    with pytest.raises(ConfigurationError) as err:
        clients.queue_service()
    assert err.value.setting == "AzureWebJobsStorage__accountName"


def test_storage_by_account_name_uses_the_identity_endpoint() -> None:
    clients = AzureClients(_settings(dr_storage_account="lbdrprod"))
    assert clients.blob_service("dr").url == "https://lbdrprod.blob.core.windows.net/"


def test_every_client_sends_through_an_injected_transport() -> None:
    from azure.core.pipeline.transport import RequestsTransport

    transport = RequestsTransport()
    settings = _settings(dr_storage_account="lbdrprod")
    clients = AzureClients(settings, transport=transport)
    built = [
        clients.compute("00000000-0000-0000-0000-000000000001")._client,
        clients.resource_graph()._client,
        clients.blob_service("dr"),
    ]
    for client in built:
        pipeline = client._pipeline
        inner = getattr(pipeline._transport, "_transport", pipeline._transport)
        assert inner is transport, type(client).__name__


@pytest.mark.parametrize(("threads", "expected"), [(None, 32), ("24", 24), ("64", 64)])
def test_the_connection_pool_follows_the_worker_concurrency(
    monkeypatch: pytest.MonkeyPatch, threads: str | None, expected: int
) -> None:
    from shared.config import load_settings

    if threads is None:
        monkeypatch.delenv("PYTHON_THREADPOOL_THREAD_COUNT", raising=False)
    else:
        monkeypatch.setenv("PYTHON_THREADPOOL_THREAD_COUNT", threads)
    clients = AzureClients(load_settings())
    compute = clients.compute(SUB)
    session = compute._client._pipeline._transport.session  # the wire every ARM call takes
    adapter = session.get_adapter("https://management.azure.com/")
    assert adapter._pool_maxsize == expected
