"""Local Azure for the demo and benchmarks: Azurite + the ARM emulator, the app pointed at them."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.azurite import Azurite
    from emulator.server import ArmEmulator

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000b1"


@dataclass(frozen=True)
class LocalAzure:
    """The running stand-ins and the subscription the app protects."""

    arm: ArmEmulator
    azurite: Azurite
    subscription: str


@contextmanager
def local_azure(
    subscription: str = SUBSCRIPTION, extra: Mapping[str, str] | None = None
) -> Iterator[LocalAzure]:
    """Start Azurite and the ARM emulator, point the app at them; restore everything after."""
    from emulator.azurite import start_azurite
    from emulator.server import ArmEmulator

    azurite = start_azurite()
    arm = ArmEmulator(azurite=azurite).start()
    try:
        with app_environment(app_settings(arm, azurite, subscription, extra)):
            yield LocalAzure(arm, azurite, subscription)
    finally:
        arm.stop()
        azurite.stop()


@contextmanager
def app_environment(env: Mapping[str, str]) -> Iterator[None]:
    """Set `env` for the app (its composition root rebuilt from it); restore both after."""
    from shared import bootstrap

    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    bootstrap.reset()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        bootstrap.reset()


def app_settings(
    arm: ArmEmulator,
    azurite: Azurite,
    subscription: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the app settings (environment) that point Lifeboat at the local stand-ins."""
    from emulator.azurite import DR_ACCOUNT, PRIMARY_ACCOUNT

    return {
        "LIFEBOAT_ARM_ENDPOINT": arm.endpoint,
        "LIFEBOAT_ARM_CA_BUNDLE": arm.ca_file,
        "LIFEBOAT_CREDENTIAL": "emulator",
        "LIFEBOAT_POLLING_INTERVAL_SECONDS": "0",
        "LIFEBOAT_SUBSCRIPTIONS": subscription,
        "LIFEBOAT_PRIMARY_REGIONS": "eastus",
        "AzureWebJobsStorage": azurite.connection_string(DR_ACCOUNT),
        "LIFEBOAT_DR_STORAGE_CONNECTION_STRING": azurite.connection_string(DR_ACCOUNT),
        "LIFEBOAT_PRIMARY_STORAGE_CONNECTION_STRING": azurite.connection_string(PRIMARY_ACCOUNT),
        **(extra or {}),
    }
