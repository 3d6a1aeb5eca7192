"""What Lifeboat protects, as outage planning reads it from DR-region records (typed inputs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.vms.manifest import RecoveryManifest
from shared.vms.policy import TagNames


def tag_value(tags: Mapping[str, str], name: str) -> str | None:
    """Return a tag's value (tag names are case-insensitive in Azure), or None when absent."""
    wanted = name.lower()
    for key, value in tags.items():
        if key.lower() == wanted and str(value).strip():
            return str(value).strip()
    return None


@dataclass(frozen=True)
class ProtectedVm:
    """One protected VM and the recovery manifests of its capture sets (any order)."""

    vm_id: str
    region: str
    manifests: tuple[RecoveryManifest, ...]
    tags: Mapping[str, str]

    @property
    def newest_complete(self) -> RecoveryManifest | None:
        """The newest capture set whose every disk copy completed, or None."""
        done = [m for m in self.manifests if m.copies_completed_at is not None]
        return max(done, key=lambda m: (m.captured_at, m.set_id), default=None)

    def tier(self, names: TagNames) -> str | None:
        """The VM's `lifeboat-tier`, or None."""
        return tag_value(self.tags, names.tier)

    def group(self, names: TagNames) -> str | None:
        """The VM's `lifeboat-group`, or None."""
        return tag_value(self.tags, names.group)


def protected_vm(manifests: tuple[RecoveryManifest, ...]) -> ProtectedVm:
    """Return the ProtectedVm described by one VM's manifests (tags of the newest set).

    Raises ValueError when the manifests are empty or belong to different VMs.
    """
    if not manifests:
        raise ValueError("a protected VM needs at least one manifest")
    ids = {m.vm_id.lower() for m in manifests}
    if len(ids) != 1:
        raise ValueError(f"manifests of several VMs: {sorted(ids)}")
    newest = max(manifests, key=lambda m: (m.captured_at, m.set_id))
    return ProtectedVm(newest.vm_id, newest.location, manifests, dict(newest.tags))


@dataclass(frozen=True)
class TemplateBackup:
    """The newest backup of one image template, kept in DR storage."""

    template_id: str
    region: str
    backup_version: str
    backed_up_at: datetime
    tags: Mapping[str, str]


@dataclass(frozen=True)
class DrImageRecord:
    """One image Lifeboat keeps in the DR gallery: its newest version replicated there."""

    image_id: str
    """The protected gallery image (or managed image) in the primary region."""
    region: str
    dr_image_version_id: str | None
    """The newest version in the DR-homed gallery; None while none is complete."""
    replicated_at: datetime | None
    tags: Mapping[str, str]


@dataclass(frozen=True)
class Inventory:
    """Everything protected, read from DR-region records and manifests only."""

    vms: tuple[ProtectedVm, ...] = ()
    templates: tuple[TemplateBackup, ...] = ()
    images: tuple[DrImageRecord, ...] = ()
