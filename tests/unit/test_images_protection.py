"""Pure image-DR planning: gallery versions, managed images and VHDs, from facts to steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.arm_id import ResourceId
from shared.azure.blobs import BlobCopy
from shared.azure.disks import Disk, Snapshot
from shared.azure.galleries import (
    Gallery,
    ImageDefinition,
    ImageVersion,
    RegionReplication,
    TargetRegion,
)
from shared.azure.managed_images import ImageDisk, ManagedImage
from shared.config import Settings
from shared.engine import names as naming
from shared.images.model import (
    ActionStatus,
    AddTargetRegion,
    Artifact,
    ArtifactKind,
    ArtifactState,
    CopyBlob,
    CopyImageVersion,
    CopySnapshot,
    CreateDisk,
    CreateGallery,
    CreateImage,
    CreateImageDefinition,
    DeleteSnapshot,
    DiskSource,
    GalleryFacts,
    ImageFacts,
    SnapshotDisk,
    VhdFacts,
)
from shared.images.policy import progress_wait, storage_type
from shared.images.protection import plan_gallery, protection_for

SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/images/providers/Microsoft.Compute"
NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
VERSION = f"{RG}/galleries/golden/images/ubuntu/versions/1.2.3"


@pytest.fixture
def settings() -> Settings:
    return Settings(
        subscriptions=(SUB,),
        primary_regions=("eastus", "westeurope"),
        dr_resource_group="lifeboat-dr-{region}",  # two DR regions: one group in each
        images_copy_poll_seconds=30,
        images_copy_poll_max_seconds=600,
    )


def rid(value: str) -> ResourceId:
    return ResourceId.parse(value)


def version(
    location: str = "eastus",
    targets: tuple[str, ...] = ("eastus",),
    replication: dict[str, tuple[str, int]] | None = None,
    state: str = "Succeeded",
    id_: str = VERSION,
) -> ImageVersion:
    return ImageVersion(
        rid(id_),
        location,
        state,
        tuple(
            TargetRegion(t, 1, "Standard_LRS", {"name": t.title(), "encryption": {"x": 1}})
            for t in targets
        ),
        {r: RegionReplication(s, p) for r, (s, p) in (replication or {}).items()},
    )


def definition(id_: str, location: str = "eastus", sku: str = "22_04") -> ImageDefinition:
    props: dict[str, Any] = {
        "osType": "Linux",
        "osState": "Generalized",
        "hyperVGeneration": "V2",
        "identifier": {"publisher": "contoso", "offer": "ubuntu", "sku": sku},
        "features": [{"name": "SecurityType", "value": "TrustedLaunch"}],
        "provisioningState": "Succeeded",
    }
    return ImageDefinition(
        rid(id_),
        location,
        "Succeeded",
        "Linux",
        "Generalized",
        "V2",
        ("contoso", "ubuntu", sku),
        props,
    )


def gallery_facts(settings: Settings, **changes: Any) -> GalleryFacts:
    source = rid(VERSION)
    base: dict[str, Any] = {
        "version": version(),
        "definition": definition(str(source.parent())),
        "dr_gallery": None,
        "dr_definition": None,
        "dr_version": None,
        "dr_zonal": False,
    }
    base.update(changes)
    return GalleryFacts(**base)


def dr_ready_gallery(settings: Settings) -> GalleryFacts:
    source = rid(VERSION)
    return gallery_facts(
        settings,
        version=version(
            targets=("eastus", "westus"),
            replication={"eastus": ("Completed", 100), "westus": ("Completed", 100)},
        ),
        dr_gallery=Gallery(naming.dr_gallery_id(settings, SUB, "westus"), "westus", "Succeeded"),
        dr_definition=definition(
            str(naming.dr_definition_id(settings, source, "westus")), "westus"
        ),
        dr_version=version(
            "westus",
            ("westus",),
            {"westus": ("Completed", 100)},
            id_=str(naming.dr_version_id(settings, source, "westus")),
        ),
    )


GALLERY = Artifact(ArtifactKind.GALLERY_VERSION, VERSION, "eastus")


def statuses(plan: Any) -> list[tuple[str, ActionStatus]]:
    return [(s.action.op, s.status) for s in plan.steps]


def test_new_gallery_version_first_adds_the_dr_region_and_creates_the_dr_gallery(
    settings: Settings,
) -> None:
    plan = plan_gallery(GALLERY, gallery_facts(settings), settings)
    assert plan.dr_region == "westus"
    assert statuses(plan) == [
        ("add_target_region", ActionStatus.READY),
        ("create_gallery", ActionStatus.READY),
        ("create_image_definition", ActionStatus.BLOCKED),
        ("copy_image_version", ActionStatus.BLOCKED),
    ]
    assert {type(a) for a in plan.ready} == {AddTargetRegion, CreateGallery}
    assert plan.state is ArtifactState.IN_PROGRESS


def test_adding_the_dr_region_keeps_every_existing_region_unchanged(settings: Settings) -> None:
    facts = gallery_facts(settings, version=version(targets=("eastus", "northeurope")))
    add = plan_gallery(GALLERY, facts, settings).ready[0]
    assert isinstance(add, AddTargetRegion)
    bodies = [r.as_body() for r in add.regions]
    assert [b["name"] for b in bodies] == ["Eastus", "Northeurope", "westus"]
    assert bodies[0]["encryption"] == {"x": 1}
    assert bodies[2] == {
        "name": "westus",
        "regionalReplicaCount": 1,
        "storageAccountType": "Standard_LRS",
    }


def test_replica_storage_is_zrs_only_where_the_dr_region_has_zones(settings: Settings) -> None:
    assert storage_type(settings, zonal=True) == "Standard_ZRS"
    assert storage_type(settings, zonal=False) == "Standard_LRS"
    premium = settings.model_copy(update={"storage_account_type": "Premium_LRS"})
    assert storage_type(premium, zonal=True) == "Premium_LRS"
    facts = gallery_facts(settings, dr_zonal=True)
    add = plan_gallery(GALLERY, facts, settings).ready[0]
    assert isinstance(add, AddTargetRegion)
    assert add.regions[-1].storage_account_type == "Standard_ZRS"


def test_dr_copy_waits_until_the_dr_replica_completes(settings: Settings) -> None:
    facts = dr_ready_gallery(settings)
    facts = gallery_facts(
        settings,
        version=version(
            targets=("eastus", "westus"),
            replication={"eastus": ("Completed", 100), "westus": ("Replicating", 40)},
        ),
        dr_gallery=facts.dr_gallery,
        dr_definition=facts.dr_definition,
    )
    plan = plan_gallery(GALLERY, facts, settings)
    assert statuses(plan)[0] == ("add_target_region", ActionStatus.IN_PROGRESS)
    assert statuses(plan)[3] == ("copy_image_version", ActionStatus.BLOCKED)
    assert plan.ready == ()
    assert plan.wait_seconds == 30


def test_dr_copy_is_created_from_the_source_version_in_the_dr_gallery(settings: Settings) -> None:
    ready = dr_ready_gallery(settings)
    facts = gallery_facts(
        settings,
        version=ready.version,
        dr_gallery=ready.dr_gallery,
        dr_definition=ready.dr_definition,
    )
    (copy,) = plan_gallery(GALLERY, facts, settings).ready
    assert isinstance(copy, CopyImageVersion)
    assert copy.target == f"/subscriptions/{SUB}/resourceGroups/lifeboat-dr-westus/providers/" + (
        "Microsoft.Compute/galleries/lifeboat_dr/images/ubuntu/versions/1.2.3"
    )
    assert copy.source == VERSION
    assert [r.name for r in copy.regions] == ["westus"]


def test_dr_image_definition_copies_identifier_os_and_generation(settings: Settings) -> None:
    facts = gallery_facts(settings, dr_gallery=Gallery(rid(VERSION), "westus", "Succeeded"))
    plan = plan_gallery(GALLERY, facts, settings)
    create = next(a for a in plan.ready if isinstance(a, CreateImageDefinition))
    props = create.body["properties"]
    assert create.body["location"] == "westus"
    assert props["identifier"] == {"publisher": "contoso", "offer": "ubuntu", "sku": "22_04"}
    assert (props["osType"], props["osState"], props["hyperVGeneration"]) == (
        "Linux",
        "Generalized",
        "V2",
    )
    assert props["features"] == [{"name": "SecurityType", "value": "TrustedLaunch"}]
    assert "provisioningState" not in props


def test_gallery_version_is_dr_ready_only_when_both_replicas_are_completed(
    settings: Settings,
) -> None:
    ready = dr_ready_gallery(settings)
    assert plan_gallery(GALLERY, ready, settings).state is ArtifactState.DR_READY
    assert ready.dr_version is not None
    replicating = gallery_facts(
        settings,
        version=ready.version,
        dr_gallery=ready.dr_gallery,
        dr_definition=ready.dr_definition,
        dr_version=version(
            "westus", ("westus",), {"westus": ("Replicating", 90)}, id_=str(ready.dr_version.id)
        ),
    )
    plan = plan_gallery(GALLERY, replicating, settings)
    assert plan.state is ArtifactState.IN_PROGRESS
    assert statuses(plan)[3] == ("copy_image_version", ActionStatus.IN_PROGRESS)


def test_failed_replication_fails_the_artifact_with_the_reason(settings: Settings) -> None:
    facts = gallery_facts(
        settings,
        version=version(targets=("eastus", "westus"), replication={"westus": ("Failed", 3)}),
    )
    plan = plan_gallery(GALLERY, facts, settings)
    assert plan.state is ArtifactState.FAILED
    assert "replication to westus failed" in (plan.failure or "")
    assert plan.ready == ()


def test_dr_definition_with_another_identifier_is_a_conflict(settings: Settings) -> None:
    source = rid(VERSION)
    facts = gallery_facts(
        settings,
        dr_gallery=Gallery(naming.dr_gallery_id(settings, SUB, "westus"), "westus", "Succeeded"),
        dr_definition=definition(
            str(naming.dr_definition_id(settings, source, "westus")), "westus", "other"
        ),
    )
    plan = plan_gallery(GALLERY, facts, settings)
    assert plan.state is ArtifactState.FAILED
    assert "another identifier" in (plan.failure or "")


def test_dr_gallery_in_another_region_is_a_conflict(settings: Settings) -> None:
    facts = gallery_facts(settings, dr_gallery=Gallery(rid(VERSION), "centralus", "Succeeded"))
    assert "not westus" in (plan_gallery(GALLERY, facts, settings).failure or "")


def test_source_version_still_provisioning_blocks_the_region_update(settings: Settings) -> None:
    plan = plan_gallery(
        GALLERY, gallery_facts(settings, version=version(state="Creating")), settings
    )
    assert statuses(plan)[0] == ("add_target_region", ActionStatus.BLOCKED)
    assert plan.wait_seconds == 30


def test_version_outside_the_primary_regions_is_skipped(settings: Settings) -> None:
    facts = gallery_facts(settings, version=version(location="westus"))
    plan = plan_gallery(GALLERY, facts, settings)
    assert plan.state is ArtifactState.SKIPPED
    assert "westus is not a protected primary region" in (plan.skipped or "")


def test_vanished_source_version_fails(settings: Settings) -> None:
    plan = plan_gallery(GALLERY, gallery_facts(settings, version=None), settings)
    assert plan.state is ArtifactState.FAILED


# ---- managed images ----------------------------------------------------------------------

IMAGE = f"{RG}/images/web"
OS_DISK = f"{RG}/disks/web-os"
DATA_DISK = f"{RG}/disks/web-data"


def image(
    os_ref: dict[str, str] | None = None, data_ref: dict[str, str] | None = None
) -> ManagedImage:
    def disk(lun: int | None, ref: dict[str, str]) -> ImageDisk:
        return ImageDisk(
            lun,
            ref.get("snapshot"),
            ref.get("disk"),
            ref.get("blob"),
            caching="ReadWrite",
            os_type="Linux" if lun is None else None,
            os_state="Generalized" if lun is None else None,
        )

    return ManagedImage(
        rid(IMAGE),
        "eastus",
        "Succeeded",
        "V2",
        disk(None, os_ref or {"disk": OS_DISK}),
        (disk(0, data_ref or {"disk": DATA_DISK}),),
    )


def snapshot(
    id_: ResourceId | str, location: str, percent: float | None = None, **kw: Any
) -> Snapshot:
    return Snapshot(
        rid(str(id_)),
        location,
        kw.get("state", "Succeeded"),
        kw.get("incremental", True),
        kw.get("source"),
        percent,
        kw.get("error"),
        kw.get("created"),
    )


MANAGED = Artifact(ArtifactKind.MANAGED_IMAGE, IMAGE, "eastus")


def disk_sources() -> dict[str, DiskSource]:
    return {
        "os": DiskSource("os", disk=Disk(rid(OS_DISK), "eastus", "Succeeded")),
        "lun0": DiskSource("lun0", disk=Disk(rid(DATA_DISK), "eastus", "Succeeded")),
    }


def test_managed_image_snapshots_every_disk_not_only_the_os_disk(settings: Settings) -> None:
    plan = protection_for(MANAGED, ImageFacts(image(), disk_sources()), settings, NOW)
    snaps = [a for a in plan.ready if isinstance(a, SnapshotDisk)]
    assert sorted(a.source for a in snaps) == sorted([OS_DISK, DATA_DISK])
    assert all(a.region == "eastus" for a in snaps)
    assert {s.action.op for s in plan.steps if s.status is ActionStatus.BLOCKED} == {
        "copy_snapshot",
        "delete_snapshot",
        "create_image",
    }


def test_staged_snapshots_are_copied_to_the_dr_region_with_copystart(settings: Settings) -> None:
    staging = {
        label: snapshot(naming.staging_snapshot_id(settings, rid(IMAGE), label, "westus"), "eastus")
        for label in ("os", "lun0")
    }
    plan = protection_for(MANAGED, ImageFacts(image(), disk_sources(), staging), settings, NOW)
    copies = [a for a in plan.ready if isinstance(a, CopySnapshot)]
    assert len(copies) == 2
    assert {a.source for a in copies} == {str(s.id) for s in staging.values()}
    assert all(a.region == "westus" for a in copies)


def test_copystart_at_zero_percent_is_not_complete_even_if_succeeded(settings: Settings) -> None:
    copies = {
        label: snapshot(
            naming.dr_snapshot_id(settings, rid(IMAGE), label, "westus"),
            "westus",
            0.0,
            created=NOW - timedelta(seconds=60),
        )
        for label in ("os", "lun0")
    }
    plan = protection_for(MANAGED, ImageFacts(image(), disk_sources(), {}, copies), settings, NOW)
    copy_steps = [s for s in plan.steps if isinstance(s.action, CopySnapshot)]
    assert {s.status for s in copy_steps} == {ActionStatus.IN_PROGRESS}
    assert plan.ready == ()


def test_copy_progress_sets_the_next_look_from_the_estimated_time_left(settings: Settings) -> None:
    started = NOW - timedelta(seconds=100)
    assert progress_wait(settings, started, 50.0, NOW) == 100
    assert progress_wait(settings, started, 99.0, NOW) == 30  # floor
    assert progress_wait(settings, started, 1.0, NOW) == 600  # ceiling
    assert progress_wait(settings, None, None, NOW) == 30


def completed_copies(settings: Settings) -> dict[str, Snapshot]:
    return {
        label: snapshot(
            naming.dr_snapshot_id(settings, rid(IMAGE), label, "westus"), "westus", 100.0
        )
        for label in ("os", "lun0")
    }


def test_dr_image_is_built_from_all_dr_snapshots_once_copies_complete(settings: Settings) -> None:
    staging = {
        label: snapshot(naming.staging_snapshot_id(settings, rid(IMAGE), label, "westus"), "eastus")
        for label in ("os", "lun0")
    }
    facts = ImageFacts(image(), {}, staging, completed_copies(settings))
    plan = protection_for(MANAGED, facts, settings, NOW)
    create = next(a for a in plan.ready if isinstance(a, CreateImage))
    profile = create.body["properties"]["storageProfile"]
    copies = completed_copies(settings)
    assert profile["osDisk"]["snapshot"]["id"] == str(copies["os"].id)
    assert profile["osDisk"]["osType"] == "Linux"
    assert [d["snapshot"]["id"] for d in profile["dataDisks"]] == [str(copies["lun0"].id)]
    assert profile["dataDisks"][0]["lun"] == 0
    assert create.body["properties"]["hyperVGeneration"] == "V2"
    assert create.region == "westus"
    deletes = [a for a in plan.ready if isinstance(a, DeleteSnapshot)]
    assert {a.target for a in deletes} == {str(s.id) for s in staging.values()}


def test_managed_image_is_dr_ready_with_the_image_built_and_staging_gone(
    settings: Settings,
) -> None:
    dr_image = ManagedImage(
        naming.dr_image_id(settings, rid(IMAGE), "westus"),
        "westus",
        "Succeeded",
        "V2",
        image().os_disk,
    )
    facts = ImageFacts(image(), {}, {}, completed_copies(settings), dr_image)
    plan = protection_for(MANAGED, facts, settings, NOW)
    assert plan.state is ArtifactState.DR_READY
    assert plan.dr_artifacts == (str(dr_image.id),)


def test_incremental_snapshot_source_is_copied_directly(settings: Settings) -> None:
    src = f"{RG}/snapshots/web-os-inc"
    sources = {
        "os": DiskSource("os", snapshot=snapshot(src, "eastus")),
        "lun0": DiskSource("lun0", disk=Disk(rid(DATA_DISK), "eastus", "Succeeded")),
    }
    plan = protection_for(MANAGED, ImageFacts(image({"snapshot": src}), sources), settings, NOW)
    copy = next(a for a in plan.ready if isinstance(a, CopySnapshot))
    assert copy.source == src
    assert len([a for a in plan.ready if isinstance(a, SnapshotDisk)]) == 1


def test_full_snapshot_or_vanished_source_goes_through_a_staging_gallery_version(
    settings: Settings,
) -> None:
    src = f"{RG}/snapshots/web-os-full"
    full = {
        **disk_sources(),
        "os": DiskSource("os", snapshot=snapshot(src, "eastus", incremental=False)),
    }
    gone = {**disk_sources(), "lun0": DiskSource("lun0")}
    for facts in (ImageFacts(image({"snapshot": src}), full), ImageFacts(image(), gone)):
        plan = protection_for(MANAGED, facts, settings, NOW)
        assert plan.state is ArtifactState.IN_PROGRESS
        assert [type(a) for a in plan.ready] == [CreateGallery]
        assert plan.ready[0].region == "eastus"


def aib_image() -> ManagedImage:
    """What Image Builder leaves: an image whose disks name no live source."""
    os_disk = ImageDisk(
        None, None, None, None, "ReadWrite", 30, "Standard_LRS", "Linux", "Generalized"
    )
    return ManagedImage(rid(IMAGE), "eastus", "Succeeded", "V1", os_disk, ())


def staging(settings: Settings, **kw: Any) -> dict[str, Any]:
    home = "eastus"
    version_id = naming.staging_version_id(settings, rid(IMAGE), home, "westus")
    out: dict[str, Any] = {
        "staging_gallery": Gallery(
            naming.staging_gallery_id(settings, SUB, home, "westus"), home, "Succeeded"
        ),
        "staging_definition": definition(
            str(naming.staging_definition_id(settings, rid(IMAGE), home, "westus"))
        ),
        "staging_version": version(
            targets=(home,), replication={home: ("Completed", 100)}, id_=str(version_id)
        ),
    }
    out.update(kw)
    return out


def test_image_without_live_source_is_published_then_copied_via_a_temporary_disk(
    settings: Settings,
) -> None:
    plan = protection_for(MANAGED, ImageFacts(aib_image()), settings, NOW)
    assert statuses(plan) == [
        ("create_gallery", ActionStatus.READY),
        ("create_image_definition", ActionStatus.BLOCKED),
        ("publish_image", ActionStatus.BLOCKED),
        ("create_disk", ActionStatus.BLOCKED),
        ("snapshot_disk", ActionStatus.BLOCKED),
        ("copy_snapshot", ActionStatus.BLOCKED),
        ("delete_snapshot", ActionStatus.BLOCKED),
        ("delete_disk", ActionStatus.BLOCKED),
        ("create_image", ActionStatus.BLOCKED),
        ("delete_gallery_item", ActionStatus.BLOCKED),
        ("delete_gallery_item", ActionStatus.BLOCKED),
    ]
    ready = ImageFacts(aib_image(), **staging(settings))
    (create,) = protection_for(MANAGED, ready, settings, NOW).ready
    assert isinstance(create, CreateDisk)
    assert create.source == str(naming.staging_version_id(settings, rid(IMAGE), "eastus", "westus"))
    assert (create.lun, create.region) == (None, "eastus")


def test_staged_route_waits_while_the_staging_version_publishes(settings: Settings) -> None:
    publishing = staging(
        settings,
        staging_version=version(
            targets=("eastus",),
            replication={"eastus": ("Replicating", 50)},
            id_=str(naming.staging_version_id(settings, rid(IMAGE), "eastus", "westus")),
        ),
    )
    plan = protection_for(MANAGED, ImageFacts(aib_image(), **publishing), settings, NOW)
    assert plan.ready == ()
    assert statuses(plan)[2] == ("publish_image", ActionStatus.IN_PROGRESS)


def test_staged_route_cleans_up_disk_snapshot_version_then_definition(settings: Settings) -> None:
    copies = {"os": completed_copies(settings)["os"]}
    temp = {
        "os": Disk(naming.temp_disk_id(settings, rid(IMAGE), "os", "westus"), "eastus", "Succeeded")
    }
    staged = {
        "os": snapshot(naming.staging_snapshot_id(settings, rid(IMAGE), "os", "westus"), "eastus")
    }
    dr_image = ManagedImage(
        naming.dr_image_id(settings, rid(IMAGE), "westus"),
        "westus",
        "Succeeded",
        "V1",
        aib_image().os_disk,
    )
    facts = ImageFacts(
        aib_image(), {}, staged, copies, dr_image, temp_disks=temp, **staging(settings)
    )
    plan = protection_for(MANAGED, facts, settings, NOW)
    assert {a.op for a in plan.ready} == {"delete_snapshot", "delete_disk", "delete_gallery_item"}
    assert statuses(plan)[-1] == ("delete_gallery_item", ActionStatus.BLOCKED)
    clean = ImageFacts(
        aib_image(), {}, {}, copies, dr_image, **staging(settings, staging_version=None)
    )
    assert statuses(protection_for(MANAGED, clean, settings, NOW))[-1][1] is ActionStatus.READY
    gone = ImageFacts(aib_image(), {}, {}, copies, dr_image)
    final = protection_for(MANAGED, gone, settings, NOW)
    assert final.state is ArtifactState.DR_READY


def test_staging_is_not_recreated_once_every_copy_has_started(settings: Settings) -> None:
    copies = {
        "os": snapshot(naming.dr_snapshot_id(settings, rid(IMAGE), "os", "westus"), "westus", 30.0)
    }
    plan = protection_for(MANAGED, ImageFacts(aib_image(), {}, {}, copies), settings, NOW)
    assert plan.ready == ()
    assert {s.action.op: s.status for s in plan.steps[:3]} == {
        "create_gallery": ActionStatus.DONE,
        "create_image_definition": ActionStatus.DONE,
        "publish_image": ActionStatus.DONE,
    }


def test_copy_error_fails_the_artifact(settings: Settings) -> None:
    copies = completed_copies(settings)
    copies["os"] = snapshot(copies["os"].id, "westus", 10.0, error="CopySourceNotFound: gone")
    plan = protection_for(MANAGED, ImageFacts(image(), disk_sources(), {}, copies), settings, NOW)
    assert "CopySourceNotFound" in (plan.failure or "")


# ---- VHDs ---------------------------------------------------------------------------------

VHD_URL = "https://aibstaging.blob.core.windows.net/vhds/build-42.vhd"
VHD = Artifact(ArtifactKind.VHD, VHD_URL, "eastus")


def blob(status: str | None, source: str = VHD_URL, copied: int = 0) -> BlobCopy:
    return BlobCopy("https://dr/vhd-copies/x.vhd", status, source, copied, 100, "why")


def test_vhd_is_copied_server_side_into_the_dr_container(settings: Settings) -> None:
    plan = protection_for(VHD, VhdFacts(VHD_URL + "?sig=secret", None), settings, NOW)
    (copy,) = plan.ready
    assert isinstance(copy, CopyBlob)
    assert copy.container == settings.vhd_container
    assert copy.source == VHD_URL
    assert copy.blob == naming.dr_blob_name(VHD_URL)
    assert "secret" not in str(plan.as_json())


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("pending", ArtifactState.IN_PROGRESS),
        ("success", ArtifactState.DR_READY),
        ("failed", ArtifactState.FAILED),
        ("aborted", ArtifactState.FAILED),
    ],
)
def test_vhd_copy_state_follows_the_blob_copy_status(
    settings: Settings, status: str, state: ArtifactState
) -> None:
    plan = protection_for(VHD, VhdFacts(VHD_URL, blob(status, copied=40)), settings, NOW)
    assert plan.state is state


def test_dr_blob_holding_another_copy_is_a_conflict(settings: Settings) -> None:
    facts = VhdFacts(VHD_URL, blob("success", source="https://other/vhds/x.vhd"))
    assert "another blob" in (protection_for(VHD, facts, settings, NOW).failure or "")


def test_dry_run_json_names_every_step_and_its_state(settings: Settings) -> None:
    plan = plan_gallery(GALLERY, gallery_facts(settings), settings)
    data = plan.as_json()
    assert data["state"] == "in_progress"
    assert [s["op"] for s in data["steps"]] == [
        "add_target_region",
        "create_gallery",
        "create_image_definition",
        "copy_image_version",
    ]
    assert data["steps"][3]["source"] == VERSION


def test_waits_grow_while_nothing_changes_but_an_estimate_is_used_as_it_is(
    settings: Settings,
) -> None:
    from shared.images.policy import backoff_wait

    assert [backoff_wait(settings, None, n) for n in range(6)] == [30, 60, 120, 240, 480, 600]
    assert backoff_wait(settings, 500.0, 0) == 500
    # An estimate is not stretched by the doubling poll (that made detection lag by minutes).
    assert backoff_wait(settings, 45.0, 2) == 45
    assert backoff_wait(settings, 45.0, 5) == 45
    assert backoff_wait(settings, 5000.0, 0) == 600  # bounded
    # With an unestimated wait (replication) as well, the next look comes at the earlier one.
    assert backoff_wait(settings, 500.0, 2, polling=True) == 120
    assert backoff_wait(settings, 45.0, 2, polling=True) == 45
