"""The typed, idempotent write actions of DR: one ARM or storage write each, to a named target."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from shared.azure.galleries import TargetRegion


@dataclass(frozen=True)
class WriteAction:
    """One idempotent write: `target` is the ARM id (or blob URL) it creates or changes."""

    target: str
    region: str

    # Deletions of what Lifeboat staged or left half-done: the only actions a failed plan runs.
    cleanup: ClassVar[bool] = False

    @property
    def op(self) -> str:
        """The action's name, e.g. 'copy_snapshot'."""
        name = type(self).__name__
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


@dataclass(frozen=True)
class AddTargetRegion(WriteAction):
    """PATCH the source version's targetRegions to `regions` (existing ones kept, DR added)."""

    regions: tuple[TargetRegion, ...] = ()


@dataclass(frozen=True)
class CreateGallery(WriteAction):
    """Create the DR gallery in the DR region."""


@dataclass(frozen=True)
class CreateImageDefinition(WriteAction):
    """Create the DR image definition (same identifier, OS type/state, generation)."""

    body: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CopyImageVersion(WriteAction):
    """Create the DR version from the source version, replicated in the DR region."""

    source: str = ""
    regions: tuple[TargetRegion, ...] = ()


@dataclass(frozen=True)
class SnapshotDisk(WriteAction):
    """Take an incremental snapshot of a source disk in its own region (CopyStart needs one)."""

    source: str = ""
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CopySnapshot(WriteAction):
    """CopyStart an incremental snapshot into the DR region."""

    source: str = ""
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class DeleteSnapshot(WriteAction):
    """Delete a staging snapshot once its DR copy is complete."""

    cleanup: ClassVar[bool] = True


@dataclass(frozen=True)
class PowerOffVm(WriteAction):
    """Shut a VM down for a clean copy (it stays allocated: Trusted Launch keeps its vTPM)."""


@dataclass(frozen=True)
class StartVm(WriteAction):
    """Start a VM that a clean copy stopped."""


@dataclass(frozen=True)
class CreateImage(WriteAction):
    """Create the DR managed image from the DR snapshots."""

    body: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PublishImage(WriteAction):
    """Publish a managed image as a staging gallery version in its own region."""

    source: str = ""
    regions: tuple[TargetRegion, ...] = ()


@dataclass(frozen=True)
class CreateDisk(WriteAction):
    """Create a temporary disk from a gallery version (FromImage), OS disk or data LUN."""

    source: str = ""
    lun: int | None = None


@dataclass(frozen=True)
class DeleteDisk(WriteAction):
    """Delete a temporary disk once its DR copy is complete."""

    cleanup: ClassVar[bool] = True


@dataclass(frozen=True)
class DeleteGalleryItem(WriteAction):
    """Delete a staging gallery version or image definition once the DR image exists."""

    cleanup: ClassVar[bool] = True


@dataclass(frozen=True)
class CopyBlob(WriteAction):
    """Server-side copy of a VHD blob into the DR storage account."""

    source: str = ""
    container: str = ""
    blob: str = ""


@dataclass(frozen=True)
class DeleteBlob(WriteAction):
    """Delete a DR blob whose copy failed, so that a retry copies again from the start."""

    container: str = ""
    blob: str = ""

    cleanup: ClassVar[bool] = True


# ---- recovery in the DR region (shared/outages/execute.py issues these) ----


@dataclass(frozen=True)
class CreateDiskFromSnapshot(WriteAction):
    """Create a DR managed disk (createOption Copy) from a DR snapshot or disk restore point."""

    source: str = ""
    sku: str = "Premium_LRS"
    zone: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CreateNic(WriteAction):
    """Create a DR NIC in its mapped DR subnet (static or dynamic address)."""

    subnet: str = ""
    allocation: str = "Dynamic"
    private_ip: str | None = None
    accelerated_networking: bool = False
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CreateVm(WriteAction):
    """Create a DR VM (`If-None-Match: *`) attaching recovered disks and NICs."""

    size: str = ""
    os_type: str = "Linux"
    disks: tuple[tuple[str, int | None, str], ...] = ()
    """(disk id, LUN or None for the OS disk, caching)."""
    nics: tuple[tuple[str, bool], ...] = ()
    """(NIC id, primary)."""
    security_type: str = ""
    secure_boot_enabled: bool | None = None
    vtpm_enabled: bool | None = None
    zone: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class DeleteVm(WriteAction):
    """Delete a recovered VM (a drill's clean-up, or a failed execution's)."""

    cleanup: ClassVar[bool] = True


@dataclass(frozen=True)
class DeleteNic(WriteAction):
    """Delete a recovered NIC once no VM uses it."""

    cleanup: ClassVar[bool] = True
