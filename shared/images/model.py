"""Image DR value types: artifacts, the facts an assessment reads, and its write actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.arm_id import version_id_of
from shared.azure.blobs import BlobCopy
from shared.azure.disks import Disk, Snapshot
from shared.azure.galleries import Gallery, ImageDefinition, ImageVersion
from shared.azure.managed_images import ManagedImage
from shared.engine.actions import (
    AddTargetRegion,
    CopyBlob,
    CopyImageVersion,
    CopySnapshot,
    CreateDisk,
    CreateGallery,
    CreateImage,
    CreateImageDefinition,
    DeleteBlob,
    DeleteDisk,
    DeleteGalleryItem,
    DeleteSnapshot,
    PublishImage,
    SnapshotDisk,
    WriteAction,
)
from shared.engine.progress import ActionState, ActionStatus

# The actions live in shared.engine.actions; planning code and tests import them from here too.
__all__ = [
    "ActionState",
    "ActionStatus",
    "AddTargetRegion",
    "Artifact",
    "ArtifactKind",
    "ArtifactProtection",
    "ArtifactState",
    "CopyBlob",
    "CopyImageVersion",
    "CopySnapshot",
    "CreateDisk",
    "CreateGallery",
    "CreateImage",
    "CreateImageDefinition",
    "DeleteBlob",
    "DeleteDisk",
    "DeleteGalleryItem",
    "DeleteSnapshot",
    "DiskSource",
    "Facts",
    "GalleryFacts",
    "ImageFacts",
    "PublishImage",
    "SnapshotDisk",
    "VhdFacts",
    "WriteAction",
    "version_id_of",
]


class ArtifactKind(StrEnum):
    """What a distribute target produced (Image Builder's distribute `type`)."""

    GALLERY_VERSION = "SharedImage"
    MANAGED_IMAGE = "ManagedImage"
    VHD = "VHD"


@dataclass(frozen=True)
class Artifact:
    """A build output to protect: an ARM id (image, gallery version) or a VHD blob URL.

    `generation` tells apart two builds that wrote the same managed image id or VHD URL (the
    run's start time); gallery versions need none, since every run makes a new version.
    """

    kind: ArtifactKind
    source: str
    region: str | None = None
    template_id: str | None = None
    run_output: str | None = None
    generation: str | None = None

    @property
    def key(self) -> str:
        """Case-insensitive identity of the source (ARM ids ignore case; URLs keep no query)."""
        return self.source.split("?", 1)[0].lower()

    @property
    def job_key(self) -> str:
        """The replication job's idempotency key: the source, and its generation if any."""
        return f"{self.key}@{self.generation.lower()}" if self.generation else self.key

    def as_json(self) -> dict[str, Any]:
        """Return the artifact as JSON (job data, records, dry-run output)."""
        return {
            "kind": self.kind.value,
            "source": self.source,
            "region": self.region,
            "template_id": self.template_id,
            "run_output": self.run_output,
            "generation": self.generation,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Artifact:
        """Return the artifact stored by as_json."""
        return cls(
            ArtifactKind(data["kind"]),
            str(data["source"]),
            data.get("region"),
            data.get("template_id"),
            data.get("run_output"),
            data.get("generation"),
        )


class ArtifactState(StrEnum):
    """The protection state of one artifact."""

    DR_READY = "dr_ready"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ArtifactProtection:
    """Everything protection of one artifact needs, in dependency order, with its state."""

    artifact: Artifact
    dr_region: str | None
    steps: tuple[ActionState, ...] = ()
    dr_artifacts: tuple[str, ...] = ()
    failure: str | None = None
    skipped: str | None = None

    @property
    def state(self) -> ArtifactState:
        """DR_READY when every step is done; FAILED/SKIPPED with a reason; else IN_PROGRESS."""
        if self.failure:
            return ArtifactState.FAILED
        if self.skipped:
            return ArtifactState.SKIPPED
        if all(s.status is ActionStatus.DONE for s in self.steps):
            return ArtifactState.DR_READY
        return ArtifactState.IN_PROGRESS

    @property
    def ready(self) -> tuple[WriteAction, ...]:
        """The actions that can be issued now; after a failure only its clean-up deletions."""
        if self.skipped:
            return ()
        ready = (s.action for s in self.steps if s.status is ActionStatus.READY)
        return tuple(a for a in ready if a.cleanup or not self.failure)

    @property
    def wait_seconds(self) -> float | None:
        """How long to wait before the next look (None when nothing is waited on)."""
        waits = [s.wait_seconds for s in self.steps if s.wait_seconds is not None]
        return min(waits) if waits else None

    @property
    def estimate(self) -> float | None:
        """The shortest estimated time left of a running copy (None when none is estimated)."""
        waits = [s.wait_seconds for s in self.steps if s.estimated and s.wait_seconds is not None]
        return min(waits) if waits else None

    @property
    def polling(self) -> bool:
        """True when something is waited on whose remaining time cannot be estimated."""
        return any(s.wait_seconds is not None and not s.estimated for s in self.steps)

    @property
    def polled(self) -> dict[str, float | None]:
        """The unestimated waits ("op target") and their percent done, when Azure reports it."""
        return {
            f"{s.action.op} {s.action.target}": s.progress
            for s in self.steps
            if s.wait_seconds is not None and not s.estimated
        }

    def as_json(self) -> dict[str, Any]:
        """Return the plan as JSON."""
        return {
            "artifact": self.artifact.as_json(),
            "dr_region": self.dr_region,
            "state": self.state.value,
            "reason": self.failure or self.skipped,
            "dr_artifacts": list(self.dr_artifacts),
            "steps": [s.as_json() for s in self.steps],
        }


@dataclass(frozen=True)
class GalleryFacts:
    """What Azure says about a gallery version and its DR counterparts."""

    version: ImageVersion | None
    definition: ImageDefinition | None
    dr_gallery: Gallery | None
    dr_definition: ImageDefinition | None
    dr_version: ImageVersion | None
    dr_zonal: bool


@dataclass(frozen=True)
class DiskSource:
    """Where one image disk's data comes from: a disk, a snapshot, or neither (gone/blob)."""

    label: str
    disk: Disk | None = None
    snapshot: Snapshot | None = None
    blob_uri: str | None = None


@dataclass(frozen=True)
class ImageFacts:
    """What Azure says about a managed image, its disks' sources and the DR snapshots/image."""

    image: ManagedImage | None
    sources: Mapping[str, DiskSource] = field(default_factory=dict)
    staging: Mapping[str, Snapshot] = field(default_factory=dict)
    dr_snapshots: Mapping[str, Snapshot] = field(default_factory=dict)
    dr_image: ManagedImage | None = None
    dr_zonal: bool = False
    staging_gallery: Gallery | None = None
    staging_definition: ImageDefinition | None = None
    staging_version: ImageVersion | None = None
    temp_disks: Mapping[str, Disk] = field(default_factory=dict)


@dataclass(frozen=True)
class VhdFacts:
    """What the DR storage account says about the copy of a VHD."""

    source_url: str
    dr_blob: BlobCopy | None


Facts = GalleryFacts | ImageFacts | VhdFacts
