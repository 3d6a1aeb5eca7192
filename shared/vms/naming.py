"""Deterministic names and tags of a VM's capture sets, within Azure's name rules (pure)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

# Snapshots, restore point collections and restore points: 1-80 characters of [A-Za-z0-9_.-],
# starting with a letter or digit and ending with a letter, digit or underscore.
MAX_NAME = 80
_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_TAG_VALUE_MAX = 256  # Azure tag values are at most 256 characters
SET_TAG = "lifeboat-set"
VM_TAG = "lifeboat-vm"
VM_KEY_TAG = "lifeboat-vm-key"
LUN_TAG = "lifeboat-lun"


def _hash(text: str, length: int) -> str:
    """Case-folded: ARM ids compare case-insensitively, so `RG` and `rg` name one VM."""
    return hashlib.sha256(text.lower().encode()).hexdigest()[:length]


def vm_key(vm_id: str) -> str:
    """Return a short, stable key of a VM id (fits any name or tag)."""
    return _hash(vm_id, 12)


def fit_name(base: str, suffix: str) -> str:
    """Return `<base>-<suffix>` with `base` cleaned and cut so the whole fits 80 characters."""
    clean = _BAD.sub("-", base).strip("-._") or "vm"
    room = MAX_NAME - len(suffix) - 1
    return f"{clean[:room].rstrip('-.')}-{suffix}"


def set_id(vm_id: str, slot: datetime) -> str:
    """Return the capture set id of one VM and capture slot: `<vm key>-<yyyymmddHHMM>`.

    The slot is cut to the minute in UTC, so every worker that plans the same slot for the same
    VM names the same set, and two triggers within one minute coalesce.
    """
    if slot.tzinfo is None:
        raise ValueError("naive datetime: capture slots must be timezone-aware")
    minute = slot.astimezone(UTC).strftime("%Y%m%d%H%M")
    return f"{vm_key(vm_id)}-{minute}"


@dataclass(frozen=True)
class SetNames:
    """Every name of one capture set of one VM."""

    vm_id: str
    vm_name: str
    set_id: str

    def source_snapshot(self, label: str) -> str:
        """The primary-region incremental snapshot of one disk (`os`, `lun3`)."""
        return fit_name(self.vm_name, f"{label}-{self.set_id}-src")

    def dr_snapshot(self, label: str) -> str:
        """The DR-region copy of one disk's snapshot."""
        return fit_name(self.vm_name, f"{label}-{self.set_id}-dr")

    def restore_point_collection(self) -> str:
        """The VM's restore point collection in its own region (one per VM, every set)."""
        return fit_name(self.vm_name, f"{vm_key(self.vm_id)}-rpc")

    def dr_restore_point_collection(self) -> str:
        """The DR-region collection that receives the copies of the VM's restore points."""
        return fit_name(self.vm_name, f"{vm_key(self.vm_id)}-rpc-dr")

    def restore_point(self) -> str:
        """The restore point of this set (same name in both collections)."""
        return self.set_id

    def snapshot_tags(self, lun: int | None) -> dict[str, str]:
        """Return the tags every snapshot of the set carries: set id, VM id and LUN (`os`).

        An ARM id can exceed Azure's 256-character tag value limit; the VM key tag always
        fits, and the VM id tag is left out when it would not.
        """
        tags = {
            SET_TAG: self.set_id,
            VM_KEY_TAG: vm_key(self.vm_id),
            LUN_TAG: "os" if lun is None else str(lun),
        }
        if len(self.vm_id) <= _TAG_VALUE_MAX:
            tags[VM_TAG] = self.vm_id
        return tags
