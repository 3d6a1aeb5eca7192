"""The recovery manifest of one capture set: what outage plans rebuild a VM from (versioned)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass

from shared.errors import InvalidInput
from shared.vms.consistency import Consistency
from shared.vms.policy import Mode

SCHEMA_VERSION: Literal[1] = 1
# camelCase on the wire like ARM; unknown fields refused so a damaged document is never half-read.
_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True)
Lun = Annotated[int, Field(ge=0, le=63)]


class DamagedManifest(InvalidInput):
    """A manifest document that is not valid JSON, not a manifest, or of an unknown version."""


@dataclass(frozen=True, config=_CONFIG)
class ManifestSecurity:
    """The VM's `securityProfile`: security type and UEFI settings."""

    security_type: str = "Standard"
    secure_boot_enabled: bool | None = None
    vtpm_enabled: bool | None = None


@dataclass(frozen=True, config=_CONFIG)
class ManifestNic:
    """One network interface: where it was attached and how it was addressed."""

    nic_id: str
    subnet_id: str
    private_ip: str | None
    allocation: Literal["Static", "Dynamic"]
    accelerated_networking: bool = False
    nsg_id: str | None = None
    primary: bool = False


@dataclass(frozen=True, config=_CONFIG)
class ManifestDisk:
    """One captured disk and its DR copy (a snapshot, or a disk restore point)."""

    lun: Lun | None  # None for the OS disk
    name: str
    caching: Literal["None", "ReadOnly", "ReadWrite"]
    sku: str
    size_gb: int
    source_disk_id: str
    captured_at: AwareDatetime
    dr_snapshot_id: str | None = None
    dr_disk_restore_point_id: str | None = None
    copy_completed_at: AwareDatetime | None = None

    def __post_init__(self) -> None:
        if (self.dr_snapshot_id is None) == (self.dr_disk_restore_point_id is None):
            raise ValueError("a disk has exactly one of drSnapshotId and drDiskRestorePointId")


@dataclass(frozen=True, config=_CONFIG)
class ManifestConsistency:
    """The consistency the set achieved; `skewSeconds` for `per-disk` when it was measured."""

    kind: Consistency
    skew_seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


@dataclass(frozen=True, config=_CONFIG)
class ImageReference:
    """The image the VM was built from: a gallery or managed image id, or a marketplace URN."""

    id: str | None = None
    publisher: str | None = None
    offer: str | None = None
    sku: str | None = None
    version: str | None = None


@dataclass(frozen=True, config=_CONFIG)
class RecoveryManifest:
    """Everything needed to rebuild one VM from one capture set in the DR region."""

    set_id: str
    vm_id: str
    vm_name: str
    location: str
    dr_region: str
    mode: Mode
    vm_size: str
    os_type: Literal["Linux", "Windows"]
    consistency: ManifestConsistency
    disks: tuple[ManifestDisk, ...]
    captured_at: AwareDatetime
    zone: str | None = None
    hyper_v_generation: Literal["V1", "V2"] | None = None
    security: ManifestSecurity = ManifestSecurity()
    nics: tuple[ManifestNic, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    extensions: tuple[str, ...] = ()
    image_reference: ImageReference | None = None
    schema_version: Literal[1] = SCHEMA_VERSION

    def __post_init__(self) -> None:
        os_disks = [d for d in self.disks if d.lun is None]
        luns = [d.lun for d in self.disks if d.lun is not None]
        if len(os_disks) > 1:
            raise ValueError("a VM has at most one OS disk")
        if len(luns) != len(set(luns)):
            raise ValueError("two disks share a LUN")

    @property
    def copies_completed_at(self) -> datetime | None:
        """When the last disk copy completed, or None while any is still copying."""
        done = [d.copy_completed_at for d in self.disks]
        if not done or any(t is None for t in done):
            return None
        return max(t for t in done if t is not None)

    def to_json(self) -> str:
        """Return the manifest as a JSON document (camelCase keys, ISO 8601 times)."""
        return _ADAPTER.dump_json(self, by_alias=True).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> RecoveryManifest:
        """Return the manifest in `text`; raise DamagedManifest naming the first bad field."""
        try:
            return _ADAPTER.validate_json(text)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "manifest"
            raise DamagedManifest(where, str(first.get("msg", "invalid"))) from None


_ADAPTER = TypeAdapter(RecoveryManifest)
