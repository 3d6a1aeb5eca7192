"""Reads what Azure says about an artifact and its DR counterparts (the I/O half of planning)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from shared.arm_id import ResourceId
from shared.azure import blobs, disks, galleries, managed_images
from shared.azure.disks import Disk, Snapshot
from shared.azure.galleries import Gallery, ImageDefinition, ImageVersion
from shared.azure.managed_images import ImageDisk, ManagedImage
from shared.config import Settings
from shared.engine import names as naming
from shared.engine.established import Established
from shared.engine.names import ImageNames
from shared.images.image_protection import staged_route
from shared.images.model import (
    Artifact,
    ArtifactKind,
    DiskSource,
    Facts,
    GalleryFacts,
    ImageFacts,
    VhdFacts,
    version_id_of,
)
from shared.images.policy import dr_region_for

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients


class _ZoneCache:
    """Zonal regions per subscription: a fact that does not change while a worker lives."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_subscription: dict[str, frozenset[str]] = {}
        # One lookup per subscription however many workers miss at once (single flight).
        self.inflight: dict[str, threading.Lock] = {}


_zones = _ZoneCache()


def dr_zonal(clients: AzureClients, subscription: str, region: str | None) -> bool:
    """True when `region` has availability zones (read once per subscription and process)."""
    if not region:
        return False
    key = subscription.lower()
    with _zones.lock:
        known = _zones.by_subscription.get(key)
        flight = _zones.inflight.setdefault(key, threading.Lock())
    if known is None:
        with flight:
            with _zones.lock:
                known = _zones.by_subscription.get(key)
            if known is None:
                known = galleries.list_zonal_regions(clients, subscription)
                with _zones.lock:
                    _zones.by_subscription[key] = known
    return region in known


def _definition(
    clients: AzureClients, known: Established, image: ResourceId
) -> ImageDefinition | None:
    read = partial(galleries.get_image_definition, clients, image)
    return known.read(image, read, galleries.parse_image_definition)


def _gallery(clients: AzureClients, known: Established, gallery: ResourceId) -> Gallery | None:
    read = partial(galleries.get_gallery, clients, gallery)
    return known.read(gallery, read, galleries.parse_gallery)


def _version(
    clients: AzureClients, known: Established, version: ResourceId, *, own: bool = False
) -> ImageVersion | None:
    # A version is Succeeded only once every replica is done: settled, re-read no more.
    read = partial(galleries.get_image_version, clients, version)
    return known.read(version, read, galleries.parse_image_version, own=own)


def gallery_facts(
    clients: AzureClients, settings: Settings, artifact: Artifact, known: Established
) -> GalleryFacts:
    """Return the facts about a gallery image version and its DR replica and DR copy.

    Galleries, definitions and versions are read again only until Succeeded (`known`): while
    a version replicates, a pass reads that version alone.
    """
    source = version_id_of(artifact.source)
    version = _version(clients, known, source)
    definition = _definition(clients, known, source.parent()) if version else None
    region, _ = dr_region_for(version.location if version else artifact.region, settings)
    if region is None:  # out of scope: planning skips it, nothing in a DR group to read
        return GalleryFacts(version, definition, None, None, None, False)
    gallery_id = naming.dr_gallery_id(settings, source.subscription, region)
    gallery = _gallery(clients, known, gallery_id)
    dr_def = dr_version = None
    if gallery is not None:
        dr_def = _definition(clients, known, naming.dr_definition_id(settings, source, region))
    if dr_def is not None:
        copy = naming.dr_version_id(settings, source, region)
        dr_version = _version(clients, known, copy, own=True)
    zonal = dr_zonal(clients, source.subscription, region)
    return GalleryFacts(version, definition, gallery, dr_def, dr_version, zonal)


def _source(clients: AzureClients, disk: ImageDisk) -> DiskSource:
    if disk.managed_disk_id:
        found = disks.get_disk(clients, ResourceId.parse(disk.managed_disk_id, "managedDisk.id"))
        return DiskSource(disk.label, disk=found)
    if disk.snapshot_id:
        snap = disks.get_snapshot(clients, ResourceId.parse(disk.snapshot_id, "snapshot.id"))
        return DiskSource(disk.label, snapshot=snap)
    return DiskSource(disk.label, blob_uri=disk.blob_uri)


@dataclass
class _DiskFacts:
    sources: dict[str, DiskSource] = field(default_factory=dict)
    staging: dict[str, Snapshot] = field(default_factory=dict)
    copies: dict[str, Snapshot] = field(default_factory=dict)
    temp_disks: dict[str, Disk] = field(default_factory=dict)


def _copied(snapshot: Snapshot) -> bool:
    return snapshot.copied


def _own_snapshot(clients: AzureClients, known: Established, target: ResourceId) -> Snapshot | None:
    # Settled once its data is complete: a CopyStart in progress is read on every pass.
    read = partial(disks.get_snapshot, clients, target)
    return known.read(target, read, disks.parse_snapshot, _copied, own=True)


def _disk_facts(
    clients: AzureClients, names: ImageNames, image: ManagedImage, known: Established
) -> _DiskFacts:
    found = _DiskFacts()
    for disk in image.disks:
        label = disk.label
        copy = _own_snapshot(clients, known, names.dr_snapshot(label))
        if copy is not None:
            found.copies[label] = copy
        found.sources[label] = _source(clients, disk)
        staging = _own_snapshot(clients, known, names.staging_snapshot(label))
        if staging is not None:
            found.staging[label] = staging
    return found


def _staging_facts(
    clients: AzureClients,
    names: ImageNames,
    image: ManagedImage,
    found: _DiskFacts,
    known: Established,
) -> dict[str, object]:
    """The staging gallery, definition, version and temporary disks of the staged route."""
    home = image.location
    for disk in image.disks:
        target = names.temp_disk(disk.label)
        read = partial(disks.get_disk, clients, target)
        temp = known.read(target, read, disks.parse_disk, own=True)
        if temp is not None:
            found.temp_disks[disk.label] = temp
    gallery = _gallery(clients, known, names.staging_gallery(home))
    definition_id = names.staging_definition(home)
    definition = _definition(clients, known, definition_id) if gallery else None
    version_id = names.staging_version(home)
    version = _version(clients, known, version_id, own=True) if definition else None
    return {
        "staging_gallery": gallery,
        "staging_definition": definition,
        "staging_version": version,
        "temp_disks": found.temp_disks,
    }


def image_facts(
    clients: AzureClients, settings: Settings, artifact: Artifact, known: Established
) -> ImageFacts:
    """Return the facts about a managed image, its disks' sources, staging and DR copies.

    The source image and the DR image are read until Succeeded (`known`); the job's own
    targets (DR copies, staging snapshots, temporary disks) are read until seen, then while
    they exist: a miss stays a miss until the job writes that target.
    """
    source = ResourceId.parse(artifact.source, "artifact_id")
    parse = managed_images.parse_image
    image = known.read(source, partial(managed_images.get_image, clients, source), parse)
    if image is None:
        return ImageFacts(None)
    region, _ = dr_region_for(image.location, settings)
    if region is None:  # out of scope: planning skips it, nothing in a DR group to read
        return ImageFacts(image)
    names = ImageNames(settings, image.id, region, artifact.generation)
    found = _disk_facts(clients, names, image, known)
    dr_image = names.dr_image()
    read_dr = partial(managed_images.get_image, clients, dr_image)
    facts = ImageFacts(
        image=image,
        sources=found.sources,
        staging=found.staging,
        dr_snapshots=found.copies,
        dr_image=known.read(dr_image, read_dr, parse, own=True),
        dr_zonal=dr_zonal(clients, source.subscription, region),
    )
    if not staged_route(image, facts):
        return facts
    return replace(facts, **_staging_facts(clients, names, image, found, known))  # type: ignore[arg-type]


def vhd_facts(clients: AzureClients, settings: Settings, artifact: Artifact) -> VhdFacts:
    """Return the state of the VHD's copy in the DR storage account."""
    name = naming.dr_blob_name(artifact.source, artifact.generation)
    return VhdFacts(artifact.source, blobs.get_dr_blob(clients, settings.vhd_container, name))


def gather(
    clients: AzureClients, settings: Settings, artifact: Artifact, known: Established | None = None
) -> Facts:
    """Return the facts planning needs for `artifact` (reads only; `known` spares settled ones)."""
    known = known if known is not None else Established()
    if artifact.kind is ArtifactKind.GALLERY_VERSION:
        return gallery_facts(clients, settings, artifact, known)
    if artifact.kind is ArtifactKind.MANAGED_IMAGE:
        return image_facts(clients, settings, artifact, known)
    return vhd_facts(clients, settings, artifact)
