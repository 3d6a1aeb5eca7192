"""Cross-region CopyStart: progress on the emulated clock, failure, and Azure's copy limits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from emulator.core import Core, Request, Response, errors
from emulator.providers.compute.common import GIB, SNAPSHOTS, Body, options
from emulator.providers.compute.sources import Origin

_SOURCE_GONE = "CopySourceNotFound"
FIRST_API_VERSION = "2020-12-01"
# Share of a disk's bytes an incremental copy moves when the estate does not say
# (`_changedBytes` on the source snapshot): the emulator has no data plane to diff.
CHANGED_FRACTION = 0.05
_FAMILY_NAMESPACE = uuid.UUID("0b7c8a35-2f0e-4d59-9a64-5d3c1f0e8b21")


def register(core: Core) -> None:
    """Add the control call GET /_emulator/copies (the copy ledger, for egress figures)."""
    core.router.add("GET", "/_emulator/copies", lambda _req: Response.ok({"value": ledger(core)}))


def disk_family(disk_id: str) -> str:
    """Return the incrementalSnapshotFamilyId of a disk's snapshots (derived from its id, so
    seeded snapshots and snapshots created later share it whatever the seeding order)."""
    return str(uuid.uuid5(_FAMILY_NAMESPACE, disk_id.rstrip("/").lower()))


def check_allowed(core: Core, req: Request, location: str, origin: Origin) -> None:
    """Raise region-down (503) for a down source region, 400 for an api-version before
    2020-12-01 or a full source, 409 for a source still copying or out of creation order,
    or the copy-limit refusal (409 OperationNotAllowed unless `refuse_copies_with` chose)."""
    if req.api_version < FIRST_API_VERSION:
        raise errors.invalid_parameter(
            f"createOption 'CopyStart' requires api-version {FIRST_API_VERSION} or later; "
            f"the request used '{req.api_version}'.",
            "creationData.createOption",
        )
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
    if props.get("snapshotAccessState") == "Pending":
        raise errors.conflict(
            "OperationNotAllowed",
            f"Snapshot '{source.get('id')}' is still being copied (snapshotAccessState Pending) "
            "and cannot be copied to another region yet.",
        )
    family = str(props.get("incrementalSnapshotFamilyId", "")).lower()
    _check_order(core, req.subscription, location, source, family)
    in_flight = _in_flight(core, req.subscription)
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
            f"'{req.subscription}' in region '{location}' has reached the limit of {limit}. "
            "Retry when some copies complete.",
        )


def _check_order(core: Core, subscription: str, location: str, source: Body, family: str) -> None:
    """Snapshots of one disk must be copied in creation order (per target region)."""
    created = _time(source.get("properties", {}).get("timeCreated"))
    for copy in _copies(core, subscription):
        if copy["source_family"] != family or copy["region"] != location:
            continue
        newer = _time(copy.get("source_created"))
        if created is not None and newer is not None and newer > created:
            raise errors.conflict(
                "OperationNotAllowed",
                f"Snapshot '{source.get('id')}' is older than snapshot "
                f"'{copy['source']}' of the same disk, already copied to '{location}'. "
                "Incremental snapshots must be copied in the order they were created.",
            )


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Azure writes 7 fractional digits; Python reads at most 6
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _copies(core: Core, subscription: str) -> list[Body]:
    out: list[Body] = []
    for snap_id in core.store.ids(SNAPSHOTS, f"/subscriptions/{subscription}"):
        copy = core.store.meta(snap_id).get("copy")
        if copy is not None:
            out.append({**copy, "id": snap_id})
    return out


def ledger(core: Core) -> list[Body]:
    """Return every CopyStart copy with its kind (full | incremental) and copied bytes."""
    out: list[Body] = []
    for snap_id in core.store.ids(SNAPSHOTS):
        copy = core.store.meta(snap_id).get("copy")
        snap = core.store.get(snap_id) if copy else None
        if copy is None or snap is None:
            continue
        props = snap["properties"]
        entry: Body = {
            "id": snap["id"],
            "source": copy["source"],
            "sourceFamily": copy["source_family"],
            "sourceRegion": copy["source_region"],
            "region": snap["location"],
            "kind": copy["kind"],
            "bytes": copy["bytes"],
            "completionPercent": props.get("completionPercent"),
            "snapshotAccessState": props.get("snapshotAccessState"),
        }
        if "copyCompletionError" in props:
            entry["copyCompletionError"] = props["copyCompletionError"]
        out.append(entry)
    return out


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
    """Record the copy's start: completionPercent 0.0 (as the recording shows), access Pending,
    the source's securityProfile kept, full or incremental bytes (the first copy of a disk
    family into a region is full; later ones move only the changes)."""
    source = origin.source or {}
    family = str(source.get("properties", {}).get("incrementalSnapshotFamilyId", "")).lower()
    kind, size = _transfer(core, stored, source, family)
    meta["copy"] = {
        "started": core.clock.now(),
        "last": core.clock.now(),
        "elapsed": 0.0,
        "source": source.get("id", ""),
        "source_region": str(source.get("location") or ""),
        "source_family": family,
        "source_created": source.get("properties", {}).get("timeCreated"),
        "region": stored["location"],
        "kind": kind,
        "bytes": size,
    }
    props = stored["properties"]
    props["completionPercent"] = 0.0
    props["snapshotAccessState"] = "Pending"
    security = source.get("properties", {}).get("securityProfile")
    if security is not None:
        props["securityProfile"] = security


def _transfer(core: Core, stored: Body, source: Body, family: str) -> tuple[str, int]:
    """Return ("full" | "incremental", bytes moved) for a new copy of `source`."""
    props = source.get("properties", {})
    full = int(props.get("diskSizeBytes") or int(props.get("diskSizeGB") or 0) * GIB)
    subscription = stored["id"].split("/")[2]
    for copy in _copies(core, subscription):
        if copy["source_family"] != family or copy["region"] != stored["location"]:
            continue
        earlier = core.store.get(copy["id"])
        done = earlier is not None and earlier["properties"].get("completionPercent") == 100.0
        if done and "copyCompletionError" not in earlier["properties"]:  # type: ignore[index]
            changed = core.store.meta(source["id"]).get("_changedBytes")
            return "incremental", int(changed if changed is not None else full * CHANGED_FRACTION)
    return "full", full


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
    if props["completionPercent"] == 100.0:
        props["snapshotAccessState"] = "Available"
