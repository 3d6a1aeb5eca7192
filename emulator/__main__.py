"""`python -m emulator`: Azurite + the ARM emulator on loopback until Ctrl-C, with an estate."""

from __future__ import annotations

import argparse
import json
import shlex
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.azurite import Azurite
    from emulator.server import ArmEmulator


_VMS = "microsoft.compute/virtualmachines"


def estate_scope(estate: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return (subscriptions, regions of its VMs) of an estate, each sorted and unique.

    They become LIFEBOAT_SUBSCRIPTIONS and LIFEBOAT_PRIMARY_REGIONS: the app protects the
    estate's VMs where they run.
    """
    from emulator.core import normalize_location, type_of

    subscriptions: set[str] = set()
    regions: set[str] = set()
    for item in estate.get("resources", []):
        parts = str(item.get("id", "")).split("/")
        if len(parts) > 2 and parts[1].lower() == "subscriptions":
            subscriptions.add(parts[2].lower())
        if type_of(str(item.get("id", ""))).lower() == _VMS and item.get("location"):
            regions.add(normalize_location(str(item["location"])))
    return sorted(subscriptions), sorted(regions)


def environment(
    arm: ArmEmulator,
    azurite: Azurite,
    subscriptions: Sequence[str] = (),
    primary_regions: Sequence[str] = (),
) -> dict[str, str]:
    """Return the settings that point the app at this emulator, Azurite and the estate."""
    from emulator.azurite import DR_ACCOUNT, PRIMARY_ACCOUNT

    dr = azurite.connection_string(DR_ACCOUNT)
    scope = {
        "LIFEBOAT_SUBSCRIPTIONS": ",".join(subscriptions),
        "LIFEBOAT_PRIMARY_REGIONS": ",".join(primary_regions),
    }
    return {
        "LIFEBOAT_ARM_ENDPOINT": arm.endpoint,
        "LIFEBOAT_ARM_CA_BUNDLE": arm.ca_file,
        "LIFEBOAT_CREDENTIAL": "emulator",
        "LIFEBOAT_POLLING_INTERVAL_SECONDS": "0",
        **{key: value for key, value in scope.items() if value},
        "AzureWebJobsStorage": dr,
        "LIFEBOAT_DR_STORAGE_CONNECTION_STRING": dr,
        "LIFEBOAT_PRIMARY_STORAGE_CONNECTION_STRING": azurite.connection_string(PRIMARY_ACCOUNT),
    }


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Run Azurite and the local ARM emulator on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--estate", help="JSON estate file to seed ({'resources': [...]})")
    parser.add_argument("--seed", type=int, default=0, help="random seed for ids and faults")
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    stop: threading.Event | None = None,
    ready: threading.Event | None = None,
) -> int:
    """Start both emulators, print how to use them, block until Ctrl-C (or `stop`); return 0.

    `ready` (tests) is set once everything is printed.
    """
    from emulator.azurite import start_azurite
    from emulator.server import ArmEmulator

    args = _parse(argv)
    estate = json.loads(Path(args.estate).read_text()) if args.estate else {}
    azurite = start_azurite()
    arm = ArmEmulator(azurite=azurite, seed=args.seed)
    try:
        arm.start()
        seeded = arm.seed(estate) if args.estate else []
        print(f"ARM emulator: {arm.endpoint}  (CA: {arm.ca_file})")
        print(f"Providers: {', '.join(arm.providers)}; seeded {len(seeded)} resources")
        print(f"Control API: {arm.endpoint}/_emulator/{{clock,clock/advance,faults/...,log}}")
        print("Point the app at it with:")
        for key, value in environment(arm, azurite, *estate_scope(estate)).items():
            print(f"export {key}={shlex.quote(value)}")
        print("Ctrl-C to stop.", flush=True)
        if ready is not None:
            ready.set()
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        arm.stop()
        azurite.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
