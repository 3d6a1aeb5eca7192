"""Azurite for the test session (one process per xdist worker), emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.azurite import DR_ACCOUNT, PRIMARY_ACCOUNT, Azurite, start_azurite


@pytest.fixture(scope="session")
def azurite_server() -> Iterator[Azurite]:
    """The Azurite process shared by the session."""
    server = start_azurite()
    yield server
    server.stop()


@pytest.fixture
def azurite(azurite_server: Azurite) -> Azurite:
    """Azurite with both accounts empty."""
    azurite_server.reset()
    return azurite_server


@pytest.fixture
def storage_env(azurite: Azurite, monkeypatch: pytest.MonkeyPatch) -> Iterator[Azurite]:
    """Point the app's state and DR storage at Azurite (state lives in the DR-region account)."""
    from shared import bootstrap

    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string(DR_ACCOUNT))
    monkeypatch.setenv(
        "LIFEBOAT_DR_STORAGE_CONNECTION_STRING", azurite.connection_string(DR_ACCOUNT)
    )
    monkeypatch.setenv(
        "LIFEBOAT_PRIMARY_STORAGE_CONNECTION_STRING", azurite.connection_string(PRIMARY_ACCOUNT)
    )
    bootstrap.reset()
    yield azurite
    bootstrap.reset()
