"""ARM emulator fixtures: one HTTPS emulator per session, reset per test, app settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from emulator.azurite import Azurite
from emulator.core import Core
from emulator.server import ArmEmulator

if TYPE_CHECKING:
    from azure.mgmt.compute import ComputeManagementClient

    from shared.azure.clients import AzureClients
    from shared.config import Settings

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
RESOURCE_GROUP = "rg"
# Raw HTTP calls need a bearer token like the SDK sends (the emulator accepts any token).
AUTH = {"Authorization": "Bearer lifeboat-test-token"}


def arm_id(kind: str, name: str, rg: str = RESOURCE_GROUP, sub: str = SUBSCRIPTION) -> str:
    """Return the id of a Microsoft.Compute resource, e.g. arm_id("disks", "d1")."""
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/{kind}/{name}"


def vm_resource(name: str, location: str = "eastus", power: str = "running", **extra: Any) -> Any:
    """Return an estate entry for a VM with an OS disk and one data disk (disks auto-created)."""
    return {
        "id": arm_id("virtualMachines", name),
        "location": location,
        "tags": extra.pop("tags", {}),
        "_powerState": power,
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            "storageProfile": {
                "osDisk": {"name": f"{name}-os", "osType": "Linux", "diskSizeGB": 30},
                "dataDisks": [{"lun": 0, "name": f"{name}-data", "diskSizeGB": 64}],
            },
        },
        **extra,
    }


@dataclass(frozen=True)
class LifeboatEnv:
    """What a test gets from `lifeboat_env`: the emulator, Azurite and the app's settings."""

    arm: ArmEmulator
    azurite: Azurite
    subscription: str

    @property
    def settings(self) -> Settings:
        """The app's Settings as read from the patched environment."""
        from shared import bootstrap

        return bootstrap.get_deps().settings

    @property
    def clients(self) -> AzureClients:
        """The app's AzureClients (real SDK clients pointed at the emulator)."""
        from shared import bootstrap

        return bootstrap.get_deps().clients


def fail_on_emulator_bugs(core: Core) -> None:
    """Fail the running test when an emulator handler crashed (a 500 with fault "bug")."""
    crashed = [e for e in core.log.entries() if e.fault == "bug"]
    if crashed:
        details = "\n".join(core.bugs) or "\n".join(f"{e.method} {e.path}" for e in crashed)
        pytest.fail(f"the ARM emulator crashed on {len(crashed)} request(s):\n{details}")


@pytest.fixture(autouse=True)
def _no_emulator_bugs(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used the emulator: an emulator crash fails the test."""
    yield
    if "arm_server" in request.fixturenames:
        server: ArmEmulator = request.getfixturevalue("arm_server")
        fail_on_emulator_bugs(server.core)


@pytest.fixture(scope="session")
def arm_server(azurite_server: Azurite) -> Iterator[ArmEmulator]:
    """The emulator shared by the session (HTTPS on 127.0.0.1, Azurite for SAS URLs)."""
    server = ArmEmulator(azurite=azurite_server, seed=0).start()
    yield server
    server.stop()


@pytest.fixture
def arm(arm_server: ArmEmulator) -> ArmEmulator:
    """The emulator emptied before the test; injected errors ask for 5 ms retry delays."""
    arm_server.reset()
    # No real sleeps in tests: the SDK honours retry-after-ms instead of its 0.8 s backoff.
    arm_server.faults.fast_retries(5)
    return arm_server


@pytest.fixture
def lifeboat_env(
    arm: ArmEmulator, storage_env: Azurite, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LifeboatEnv]:
    """Point the app at the emulator and Azurite via LIFEBOAT_* settings; reset composition."""
    from emulator.stack import app_settings
    from shared import bootstrap

    for key, value in app_settings(arm, storage_env, SUBSCRIPTION).items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    yield LifeboatEnv(arm=arm, azurite=storage_env, subscription=SUBSCRIPTION)
    bootstrap.reset()


@pytest.fixture
def compute(lifeboat_env: LifeboatEnv) -> ComputeManagementClient:
    """The app's real ComputeManagementClient for SUBSCRIPTION, pointed at the emulator."""
    return lifeboat_env.clients.compute(SUBSCRIPTION)


@pytest.fixture
def network(lifeboat_env: LifeboatEnv) -> Any:
    """A real NetworkManagementClient for SUBSCRIPTION, pointed at the emulator."""
    from azure.mgmt.network import NetworkManagementClient

    from shared.azure.clients import EmulatorCredential

    arm = lifeboat_env.arm
    return NetworkManagementClient(
        EmulatorCredential(),
        SUBSCRIPTION,
        base_url=arm.endpoint,
        credential_scopes=[arm.endpoint + "/.default"],
        connection_verify=arm.ca_file,
        polling_interval=0,
    )
