"""Cross-region CopyStart: progress on the emulated clock, failure, and Azure's copy limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulator.core import Core, errors
from emulator.providers.compute.common import SNAPSHOTS, Body, options
from emulator.providers.compute.sources import Origin

_SOURCE_GONE = "CopySourceNotFound"


def check_allowed(core: Core, subscription: str, location: str, origin: Origin) -> None:
    """Raise region-down (503) for a down source region, 400 for a full source, or the refusal.

    The copy-limit refusal is 409 OperationNotAllowed unless `refuse_copies_with` chose another.
    """
    source = origin.source or {}
    # The copy reads the source through its region's control plane.
    core.faults.check_region(source.get("location"))
    props = source.get("properties", {})
    if not props.get("incremental"):
        raise errors.invalid_parameter(
            "CopyStart is only supported for incremental snapshots; "
            f"'{source.get('id')}' is a full snapshot.",
            "creationData.sourceResourceId",
        )
    family = str(props.get("incrementalSnapshotFamilyId", "")).lower()
    in_flight = _in_flight(core, subscription)
    for other in in_flight:
        if other["_source_family"] == family:
            raise _refusal(
                core,
                "Only one CopyStart copy at a time is allowed per source disk: snapshot "
                f"'{other['id']}' is still copying from the same incremental snapshot family "
                f"({other['properties'].get('completionPercent', 0.0)}% complete). "
                "Retry when it completes.",
            )
    limit = options(core).max_copies_per_region
    if sum(1 for other in in_flight if other["location"] == location) >= limit:
        raise _refusal(
            core,
            f"The number of incremental snapshot copies in progress for subscription "
            f"'{subscription}' in region '{location}' has reached the limit of {limit}. "
            "Retry when some copies complete.",
        )


def _refusal(core: Core, message: str) -> errors.ArmError:
    """Return the copy-limit refusal with the configured status and code (see ComputeOptions)."""
    status, code = options(core).copy_refusal
    headers: dict[str, str] = {}
    if status == 429:
        # Throttling answers carry Retry-After (short when the tests ask for fast retries).
        headers = core.faults.fast_retry_headers() or {"Retry-After": "60"}
    return errors.ArmError(status, code, message, headers=headers)


def _in_flight(core: Core, subscription: str) -> list[Body]:
    out: list[Body] = []
    for snap_id in core.store.ids(SNAPSHOTS, f"/subscriptions/{subscription}"):
        copy = core.store.meta(snap_id).get("copy")
        snap = core.store.get(snap_id) if copy else None
        if copy is None or snap is None:
            continue
        props = snap["properties"]
        if "copyCompletionError" not in props and props["completionPercent"] < 100:
            out.append({**snap, "_source_family": copy["source_family"]})
    return out


def start(core: Core, stored: Body, meta: dict[str, Any], origin: Origin) -> None:
    """Record the copy's start; completionPercent begins at 0.0 (as the recording shows)."""
    source = origin.source or {}
    meta["copy"] = {
        "started": core.clock.now(),
        "last": core.clock.now(),
        "elapsed": 0.0,
        "source": source.get("id", ""),
        "source_region": str(source.get("location") or ""),
        "source_family": str(
            source.get("properties", {}).get("incrementalSnapshotFamilyId", "")
        ).lower(),
    }
    stored["properties"]["completionPercent"] = 0.0


def refresh(core: Core, body: Body, meta: dict[str, Any], now: datetime) -> None:
    """Advance completionPercent with the clock; fail if the source vanished or was told to.

    The copy stalls while its source or target region is down (observed on every read and every
    clock advance; down time nobody observed counts as up time).
    """
    copy = meta.get("copy")
    props = body["properties"]
    if not copy or "copyCompletionError" in props or props.get("completionPercent") == 100.0:
        return
    opts = options(core)
    if body["id"].lower() in opts.failing_copies or not core.store.exists(copy["source"]):
        props["copyCompletionError"] = {
            "errorCode": _SOURCE_GONE,
            "errorMessage": f"The source snapshot '{copy['source']}' of this copy was not found. "
            "It may have been deleted while the copy was in progress.",
        }
        return
    last = copy["last"]
    down = core.faults.is_region_down(copy["source_region"]) or core.faults.is_region_down(
        body["location"]
    )
    if now > last and not down:
        copy["elapsed"] += (now - last).total_seconds()
    copy["last"] = max(now, last)
    minutes = copy["elapsed"] / 60
    props["completionPercent"] = round(min(100.0, minutes * opts.copy_percent_per_minute), 2)
