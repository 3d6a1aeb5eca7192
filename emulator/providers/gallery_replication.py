"""Gallery image version replication as resource state: per-region progress on the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from emulator.providers.locations import display_name, programmatic

# Emulated replication times (seconds). Real ones vary from minutes to hours with image size;
# the recording shows ~7.5 min for a first (home-region) replica.
HOME_REGION_SECONDS = 300.0
OTHER_REGION_SECONDS = 900.0

Meta = dict[str, Any]
IsDown = Callable[[str], bool]


def start_regions(meta: Meta, home: str, regions: Iterable[str], now: datetime) -> None:
    """Begin replication for each region not yet tracked (programmatic names)."""
    tracked: dict[str, dict[str, Any]] = meta.setdefault("replication", {})
    for region in regions:
        key = programmatic(region)
        if key in tracked:
            continue
        needed = HOME_REGION_SECONDS if key == programmatic(home) else OTHER_REGION_SECONDS
        tracked[key] = {"elapsed": 0.0, "last": now.isoformat(), "needed": needed}


def drop_regions(meta: Meta, regions: Iterable[str]) -> None:
    """Forget the replicas of removed regions."""
    tracked: dict[str, Any] = meta.setdefault("replication", {})
    for region in regions:
        tracked.pop(programmatic(region), None)


def advance(meta: Meta, home: str, now: datetime, is_down: IsDown) -> None:
    """Move every replica forward to `now`; a replica stalls while its region or home is down.

    Idempotent for one `now`. Down time not observed by any read counts as up time.
    """
    home_down = is_down(programmatic(home))
    for region, state in meta.get("replication", {}).items():
        last = datetime.fromisoformat(state["last"])
        if now > last and not home_down and not is_down(region):
            state["elapsed"] = min(state["needed"], state["elapsed"] + (now - last).total_seconds())
        state["last"] = max(now, last).isoformat()


def region_state(state: dict[str, Any]) -> tuple[str, int]:
    """Return (Replicating|Completed, progress percent) of one tracked replica."""
    progress = int(100 * state["elapsed"] // state["needed"]) if state["needed"] else 100
    return ("Completed", 100) if progress >= 100 else ("Replicating", progress)


def all_completed(meta: Meta) -> bool:
    """True when every tracked replica has completed."""
    return all(region_state(s)[0] == "Completed" for s in meta.get("replication", {}).values())


def completed_in(meta: Meta, region: str) -> bool:
    """True when the replica in `region` exists and has completed."""
    state = meta.get("replication", {}).get(programmatic(region))
    return state is not None and region_state(state)[0] == "Completed"


def replication_status(meta: Meta, order: Iterable[str]) -> dict[str, Any]:
    """Return `replicationStatus` ({aggregatedState, summary[]}) with display region names."""
    tracked = meta.get("replication", {})
    summary = []
    for region in order:
        state = tracked.get(programmatic(region))
        if state is None:
            continue
        name, progress = region_state(state)
        summary.append(
            {"region": display_name(region), "state": name, "details": "", "progress": progress}
        )
    states = {s["state"] for s in summary}
    aggregated = "Completed" if states <= {"Completed"} else "InProgress"
    return {"aggregatedState": aggregated, "summary": summary}
