"""Recovery manifests in DR-region storage, and the public reader outage plans recover from.

Layout in the records container: `vms/<vm key>/<set id>.json` (the manifest, with a small
metadata summary for listings) and `vms/inventory.json` (the last discovery: protected VMs and
tagged VMs that cannot be protected). Nothing here reads the primary region.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.jobs.messages import parse_time
from shared.vms.consistency import Consistency, achieved_consistency
from shared.vms.manifest import (
    ImageReference,
    ManifestConsistency,
    ManifestDisk,
    ManifestNic,
    ManifestSecurity,
    RecoveryManifest,
)
from shared.vms.naming import vm_key
from shared.vms.policy import Mode

if TYPE_CHECKING:
    from shared.ports import RecordStore

PREFIX = "vms/"
INVENTORY = "vms/inventory.json"


def manifest_name(vm_id: str, set_id: str) -> str:
    """Return the record name of one set's manifest."""
    return f"{PREFIX}{vm_key(vm_id)}/{set_id}.json"


def _image(raw: Mapping[str, Any]) -> ImageReference | None:
    fields = ("id", "publisher", "offer", "sku", "version")
    values = {k: str(raw[k]) for k in fields if raw.get(k)}
    return ImageReference(**values) if values else None


def build_manifest(data: Mapping[str, Any]) -> RecoveryManifest:
    """Return the manifest of a finished set from its job data (plan, captures, copies)."""
    plan, vm = data["plan"], data["plan"]["vm"]
    captured = {k: parse_time(v) for k, v in data["captured"].items()}
    copied = {k: parse_time(v) for k, v in (data.get("copied") or {}).items()}
    # A restore-point set's DR copy of each disk is a disk restore point, not a snapshot.
    points = data.get("dr_disk_restore_points") if plan.get("restore_point") else None
    mode = Mode(plan["mode"])
    achieved = achieved_consistency(mode, Consistency(plan["consistency"]), list(captured.values()))
    disks = tuple(
        ManifestDisk(
            lun=d["lun"],
            name=d["name"],
            caching=d["caching"],
            sku=d["sku"],
            size_gb=int(d["size_gb"]),
            source_disk_id=d["disk_id"],
            captured_at=captured[d["label"]],
            dr_snapshot_id=None if points else d["dr_snapshot"],
            dr_disk_restore_point_id=points[d["label"]] if points else None,
            copy_completed_at=copied.get(d["label"]),
        )
        for d in plan["disks"]
    )
    generation = vm.get("hyper_v_generation")
    return RecoveryManifest(
        set_id=plan["set_id"],
        vm_id=plan["vm_id"],
        vm_name=vm["name"],
        location=plan["location"],
        dr_region=plan["dr_region"],
        mode=mode,
        vm_size=vm["size"],
        os_type="Windows" if str(vm["os_type"]).lower() == "windows" else "Linux",
        consistency=ManifestConsistency(achieved.kind, achieved.skew_seconds),
        disks=disks,
        captured_at=min(captured.values()),
        zone=vm.get("zone"),
        hyper_v_generation=generation if generation in ("V1", "V2") else None,
        security=ManifestSecurity(**vm["security"]),
        tags=dict(vm.get("tags") or {}),
        nics=tuple(ManifestNic(**n) for n in vm.get("nics") or ()),
        extensions=tuple(vm.get("extensions") or ()),
        image_reference=_image(vm.get("image_reference") or {}),
    )


def write_manifest(records: RecordStore, manifest: RecoveryManifest) -> None:
    """Write (overwrite: same set, same document) the manifest with its listing summary."""
    skew = manifest.consistency.skew_seconds
    meta = {
        "vmid": manifest.vm_id[:1024],
        "setid": manifest.set_id,
        "capturedat": manifest.captured_at.isoformat(),
        "consistency": manifest.consistency.kind.value,
        "skew": "" if skew is None else f"{skew:g}",
        "drregion": manifest.dr_region,
    }
    body = json.loads(manifest.to_json())
    records.put(manifest_name(manifest.vm_id, manifest.set_id), body, meta)


@dataclass(frozen=True)
class SetSummary:
    """One complete set as the DR-region listing shows it (no document read)."""

    vm_id: str
    set_id: str
    captured_at: datetime
    consistency: str
    skew_seconds: float | None


def list_sets(records: RecordStore) -> list[SetSummary]:
    """Return every complete set of every VM, oldest first (one listing of the DR account)."""
    found = []
    for name, meta in records.list_metadata(PREFIX).items():
        if name == INVENTORY or not meta.get("setid"):
            continue
        skew = meta.get("skew") or ""
        found.append(
            SetSummary(
                meta.get("vmid") or "",
                meta["setid"],
                parse_time(meta["capturedat"]),
                meta.get("consistency") or "",
                float(skew) if skew else None,
            )
        )
    return sorted(found, key=lambda s: (s.captured_at, s.set_id))


def read_manifest(records: RecordStore, vm_id: str, set_id: str) -> RecoveryManifest | None:
    """Return one set's manifest, or None; raise DamagedManifest for a damaged document."""
    body = records.get(manifest_name(vm_id, set_id))
    return None if body is None else RecoveryManifest.from_json(json.dumps(body))


def latest_manifest(records: RecordStore, vm_id: str) -> RecoveryManifest | None:
    """Return the newest complete set's manifest of `vm_id`: what an outage plan recovers from.

    Reads DR-region storage only, so it works with the VM's region down.
    """
    mine = [s for s in list_sets(records) if s.vm_id.lower() == vm_id.lower()]
    return read_manifest(records, vm_id, mine[-1].set_id) if mine else None


def write_inventory(records: RecordStore, body: Mapping[str, Any]) -> None:
    """Write the last discovery's result."""
    records.put(INVENTORY, body, {"kind": "inventory"})


def read_inventory(records: RecordStore) -> dict[str, Any] | None:
    """Return the last discovery's result, or None before the first one."""
    return records.get(INVENTORY)
