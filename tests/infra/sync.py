"""Regenerate the infra's copies of facts the code owns: `python -m tests.infra.sync`.

infra/arm-actions.json   <- shared.azure.actions ARM_ACTIONS, ARM_DATA_ACTIONS (the custom role)
infra/event-routing.json <- shared.routing.RULES (the Event Grid filter: operations, event types)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parents[2] / "infra"
ARM_ACTIONS_FILE = INFRA / "arm-actions.json"
EVENT_ROUTING_FILE = INFRA / "event-routing.json"


def _sorted(items: set[str]) -> list[str]:
    return sorted(items, key=str.lower)


def arm_actions() -> dict[str, list[str]]:
    """Return the custom role's permissions as infra/arm-actions.json holds them."""
    from shared.azure.actions import role_permissions

    return role_permissions()


def event_routing() -> dict[str, list[str]]:
    """Return the operation names and event types the routing table routes anywhere."""
    from shared.routing import RULES

    return {
        "operationNames": _sorted({rule.operation for rule in RULES}),
        "eventTypes": _sorted({t for rule in RULES for t in rule.event_types}),
    }


def render(value: Any) -> str:
    """Return `value` as the files store it (indented JSON, trailing newline)."""
    return json.dumps(value, indent=2) + "\n"


def main() -> int:
    """Rewrite both files from the code; print which changed. Returns 0."""
    for path, value in ((ARM_ACTIONS_FILE, arm_actions()), (EVENT_ROUTING_FILE, event_routing())):
        text = render(value)
        changed = not path.exists() or path.read_text() != text
        path.write_text(text)
        print(f"{'updated' if changed else 'unchanged'}: {path.relative_to(INFRA.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
