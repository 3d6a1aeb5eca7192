"""Folding finished writes into the facts: the next round plans without reading Azure again."""

from __future__ import annotations

from shared.arm_id import ResourceId
from shared.azure.disks import Disk, Snapshot
from shared.azure.galleries import Gallery
from shared.azure.managed_images import ImageDisk, ManagedImage
from shared.config import Settings
from shared.engine import names as naming
from shared.engine.executor import GONE
from shared.images.absorb import absorb
from shared.images.model import (
    CopySnapshot,
    CreateDisk,
    CreateGallery,
    DeleteDisk,
    DeleteGalleryItem,
    GalleryFacts,
    ImageFacts,
    SnapshotDisk,
    VhdFacts,
)

SUB = "00000000-0000-0000-0000-000000000001"
IMAGE = ResourceId.parse(
    f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/web"
)
SETTINGS = Settings()


def image_facts() -> ImageFacts:
    os_disk = ImageDisk(None, None, None, None, os_type="Linux", os_state="Generalized")
    data = ImageDisk(2, None, None, None)
    return ImageFacts(ManagedImage(IMAGE, "eastus", "Succeeded", "V1", os_disk, (data,)))


def test_created_disk_and_snapshot_land_under_their_disk_label() -> None:
    temp = naming.temp_disk_id(SETTINGS, IMAGE, "lun2", "westus")
    disk = Disk(temp, "eastus", "Succeeded")
    after = absorb(image_facts(), CreateDisk(str(temp), "eastus", "v", 2), disk, GONE)
    assert isinstance(after, ImageFacts)
    assert after.temp_disks == {"lun2": disk}
    staging = naming.staging_snapshot_id(SETTINGS, IMAGE, "os", "westus")
    snap = Snapshot(staging, "eastus", "Succeeded", True, None, None, None, None)
    after = absorb(after, SnapshotDisk(str(staging), "eastus", str(temp)), snap, GONE)
    assert isinstance(after, ImageFacts)
    assert after.staging == {"os": snap}
    gone = absorb(after, DeleteDisk(str(temp), "eastus"), GONE, GONE)
    assert isinstance(gone, ImageFacts) and gone.temp_disks == {} and gone.staging == {"os": snap}


def test_deleting_the_staging_version_then_definition_clears_each() -> None:
    version = naming.staging_version_id(SETTINGS, IMAGE, "eastus", "westus")
    facts = absorb(image_facts(), DeleteGalleryItem(str(version), "eastus"), GONE, GONE)
    assert isinstance(facts, ImageFacts) and facts.staging_version is None


def test_started_processes_need_a_fresh_read() -> None:
    copy = CopySnapshot("/x", "westus", "/y")
    assert absorb(image_facts(), copy, None, GONE) is None
    assert absorb(VhdFacts("https://a/b/c.vhd", None), copy, None, GONE) is None


def test_gallery_created_becomes_the_dr_gallery() -> None:
    gallery = Gallery(naming.dr_gallery_id(SETTINGS, SUB, "westus"), "westus", "Succeeded")
    facts = GalleryFacts(None, None, None, None, None, False)
    after = absorb(facts, CreateGallery(str(gallery.id), "westus"), gallery, GONE)
    assert isinstance(after, GalleryFacts) and after.dr_gallery == gallery
