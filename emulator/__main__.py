"""`python -m emulator`: Azurite + the ARM emulator on loopback until Ctrl-C, with an estate."""

from __future__ import annotations

import argparse
import shlex
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.azurite import Azurite
    from emulator.server import ArmEmulator


def environment(arm: ArmEmulator, azurite: Azurite) -> dict[str, str]:
    """Return the settings that point the app at this emulator and Azurite."""
    from emulator.azurite import DR_ACCOUNT, PRIMARY_ACCOUNT

    dr = azurite.connection_string(DR_ACCOUNT)
    return {
        "LIFEBOAT_ARM_ENDPOINT": arm.endpoint,
        "LIFEBOAT_ARM_CA_BUNDLE": arm.ca_file,
        "LIFEBOAT_CREDENTIAL": "emulator",
        "LIFEBOAT_POLLING_INTERVAL_SECONDS": "0",
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
    azurite = start_azurite()
    arm = ArmEmulator(azurite=azurite, seed=args.seed)
    try:
        arm.start()
        seeded = arm.seed(args.estate) if args.estate else []
        print(f"ARM emulator: {arm.endpoint}  (CA: {arm.ca_file})")
        print(f"Providers: {', '.join(arm.providers)}; seeded {len(seeded)} resources")
        print(f"Control API: {arm.endpoint}/_emulator/{{clock,clock/advance,faults/...,log}}")
        print("Point the app at it with:")
        for key, value in environment(arm, azurite).items():
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
