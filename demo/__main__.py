"""`python -m demo [-v]`: set the demo's settings, then run every scene in order."""

from __future__ import annotations

import importlib
import logging
import os
import sys

from demo.scenes import SCENES

# The demo's own settings. No real Azure is involved, so nothing here is a secret.
DEMO_ENVIRONMENT = {
    "LIFEBOAT_PRIMARY_REGIONS": "eastus",
    # Until a scene starts the local ARM emulator and points these at it, any Azure call goes
    # to a closed loopback port instead of the real management endpoint.
    "LIFEBOAT_ARM_ENDPOINT": "https://127.0.0.1:9",
    "LIFEBOAT_CREDENTIAL": "emulator",
}


def main(argv: list[str]) -> int:
    """Run the scenes; return 0 when every scene went as expected, else 1."""
    verbose = "-v" in argv or "--verbose" in argv
    # Quiet by default: the scenes print the decisions; -v shows the app's own log lines too.
    handler = logging.StreamHandler(sys.stdout)
    handler.setLevel(logging.INFO if verbose else logging.CRITICAL + 1)
    handler.setFormatter(logging.Formatter("      log %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    os.environ.update(DEMO_ENVIRONMENT)
    from shared import bootstrap

    bootstrap.reset()
    ok = True
    for number, name in enumerate(SCENES, start=1):
        scene = importlib.import_module(name)
        print(f"\n=== Scene {number}: {scene.TITLE} ===")
        ok = scene.run(print) and ok
    print("\nDemo finished." if ok else "\nDemo finished with unexpected results (see above).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
