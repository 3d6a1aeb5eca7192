"""Pure image-DR fixes: failed plans clean up, runs get their own names, waits follow progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.azure.disks import Disk
from shared.azure.image_builds import BuildRun, DistributeTarget, RunOutput
from shared.config import Settings
from shared.engine import names as naming
from shared.images.build_decision import artifact_of
from shared.images.model import (
    ActionStatus,
    Artifact,
    ArtifactKind,
    ArtifactState,
    DeleteBlob,
    DeleteGalleryItem,
    ImageFacts,
    VhdFacts,
)
from shared.images.protection import plan_gallery, protection_for
from tests.unit.test_images_protection import (
    GALLERY,
    IMAGE,
    MANAGED,
    SUB,
    VERSION,
    aib_image,
    blob,
    completed_copies,
    definition,
    disk_sources,
    dr_ready_gallery,
    gallery_facts,
    image,
    rid,
    snapshot,
    staging,
    version,
)

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
VHD_URL = "https://aibstaging.blob.core.windows.net/vhds/build-42.vhd"


@pytest.fixture
def settings() -> Settings:
    return Settings(
        subscriptions=(SUB,),
        primary_regions=("eastus",),
        images_copy_poll_seconds=30,
        images_copy_poll_max_seconds=600,
    )


def ops(actions: Any) -> list[tuple[str, str]]:
    return sorted((a.op, a.target.rsplit("/", 1)[-1]) for a in actions)


# ---- finding 5: a failure deletes what Lifeboat staged, so a retry starts clean ----------


def test_failed_copy_plans_deletion_of_staging_and_the_failed_copy(settings: Settings) -> None:
    dr = naming.dr_snapshot_id(settings, rid(IMAGE), "os", "westus")
    copies = {"os": snapshot(dr, "westus", 10.0, error="CopySourceNotFound: gone")}
    temp = {
        "os": Disk(naming.temp_disk_id(settings, rid(IMAGE), "os", "westus"), "eastus", "Succeeded")
    }
    staged = {
        "os": snapshot(naming.staging_snapshot_id(settings, rid(IMAGE), "os", "westus"), "eastus")
    }
    facts = ImageFacts(aib_image(), {}, staged, copies, temp_disks=temp, **staging(settings))

    plan = protection_for(MANAGED, facts, settings, NOW)

    assert plan.state is ArtifactState.FAILED
    assert "CopySourceNotFound" in (plan.failure or "")
    assert ops(plan.ready) == sorted(
        [
            ("delete_disk", naming.temp_disk_id(settings, rid(IMAGE), "os", "westus").name),
            ("delete_gallery_item", "1.0.0"),
            ("delete_snapshot", dr.name),
            (
                "delete_snapshot",
                naming.staging_snapshot_id(settings, rid(IMAGE), "os", "westus").name,
            ),
        ]
    )
    definition_step = plan.steps[-1]
    assert (definition_step.action.op, definition_step.status) == (
        "delete_gallery_item",
        ActionStatus.BLOCKED,
    )
    assert all(a.region == "westus" for a in plan.ready if a.target == str(dr))


def test_a_completed_dr_copy_of_another_disk_is_kept_when_one_copy_fails(
    settings: Settings,
) -> None:
    copies = completed_copies(settings)
    copies["lun0"] = snapshot(copies["lun0"].id, "westus", 40.0, error="CopySourceNotFound: x")
    plan = protection_for(MANAGED, ImageFacts(image(), disk_sources(), {}, copies), settings, NOW)
    assert [a.target for a in plan.ready] == [str(copies["lun0"].id)]


def test_a_failure_seen_earlier_stays_and_nothing_is_started_again(settings: Settings) -> None:
    """After the clean-up the facts look fresh: the pinned failure keeps the copy stopped."""
    clean = ImageFacts(aib_image(), **staging(settings, staging_version=None))
    plan = protection_for(MANAGED, clean, settings, NOW, failure="CopyStart failed")
    assert plan.state is ArtifactState.FAILED
    assert ops(plan.ready) == [("delete_gallery_item", clean.staging_definition.id.name)]  # type: ignore[union-attr]
    assert protection_for(MANAGED, ImageFacts(aib_image()), settings, NOW, "x").ready == ()


def test_failed_dr_gallery_copy_is_deleted_so_that_a_retry_recreates_it(
    settings: Settings,
) -> None:
    ready = dr_ready_gallery(settings)
    assert ready.dr_version is not None
    failed = gallery_facts(
        settings,
        version=ready.version,
        dr_gallery=ready.dr_gallery,
        dr_definition=ready.dr_definition,
        dr_version=version(
            "westus", ("westus",), {"westus": ("Failed", 0)}, id_=str(ready.dr_version.id)
        ),
    )
    plan = plan_gallery(GALLERY, failed, settings)
    assert plan.state is ArtifactState.FAILED
    (delete,) = plan.ready
    assert isinstance(delete, DeleteGalleryItem) and delete.target == str(ready.dr_version.id)


def test_failed_blob_copy_is_deleted_but_a_copy_of_another_blob_is_left_alone(
    settings: Settings,
) -> None:
    vhd = Artifact(ArtifactKind.VHD, VHD_URL, "eastus")
    plan = protection_for(vhd, VhdFacts(VHD_URL, blob("failed", source=VHD_URL)), settings, NOW)
    (delete,) = plan.ready
    assert isinstance(delete, DeleteBlob)
    assert (delete.container, delete.blob) == (settings.vhd_container, naming.dr_blob_name(VHD_URL))
    other = VhdFacts(VHD_URL, blob("success", source="https://other/vhds/x.vhd"))
    assert protection_for(vhd, other, settings, NOW).ready == ()


def test_a_failed_plan_never_issues_anything_but_deletions(settings: Settings) -> None:
    conflict = gallery_facts(
        settings,
        dr_definition=definition(
            str(naming.dr_definition_id(settings, rid(VERSION), "westus")), "westus", "other"
        ),
    )
    plan = plan_gallery(GALLERY, conflict, settings)
    assert plan.failure and plan.ready == ()


# ---- finding 14: the DR definition must match more than the identifier ------------------


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("hyperVGeneration", "V1"),
        ("osState", "Specialized"),
        ("architecture", "Arm64"),
        ("features", [{"name": "SecurityType", "value": "Standard"}]),
    ],
)
def test_dr_definition_differing_in_generation_state_cpu_or_security_is_a_conflict(
    settings: Settings, prop: str, value: Any
) -> None:
    from dataclasses import replace

    dr = definition(str(naming.dr_definition_id(settings, rid(VERSION), "westus")), "westus")
    props = {**dr.properties, prop: value}
    changed = replace(
        dr,
        properties=props,
        os_state=props["osState"],
        hyper_v_generation=props["hyperVGeneration"],
    )
    plan = plan_gallery(GALLERY, gallery_facts(settings, dr_definition=changed), settings)
    assert plan.state is ArtifactState.FAILED
    assert "exists with another" in (plan.failure or "")
    same = plan_gallery(GALLERY, gallery_facts(settings, dr_definition=dr), settings)
    assert same.failure is None


# ---- findings 4 and 15: every run of a template gets its own DR names -------------------

START = datetime(2030, 1, 1, 10, tzinfo=UTC)
TEMPLATE = (
    f"/subscriptions/{SUB}/resourceGroups/images/providers/"
    "Microsoft.VirtualMachineImages/imageTemplates/web"
)


def build(start: datetime) -> BuildRun:
    return BuildRun(
        rid(TEMPLATE), "eastus", "Succeeded", None, "", start, start + timedelta(minutes=40),
        (DistributeTarget("ManagedImage", "m"), DistributeTarget("VHD", "v"),
         DistributeTarget("SharedImage", "g")),
    )  # fmt: skip


def test_a_rerun_writing_the_same_image_or_blob_is_a_new_artifact_with_new_names(
    settings: Settings,
) -> None:
    outputs = (
        RunOutput("m", IMAGE, None, "Succeeded"),
        RunOutput("v", None, VHD_URL + "?sv=1&sig=secret", "Succeeded"),
        RunOutput("g", VERSION, None, "Succeeded"),
    )
    first = [artifact_of(build(START), o) for o in outputs]
    again = [artifact_of(build(START + timedelta(hours=2)), o) for o in outputs]
    managed, vhd, gallery = first
    assert managed is not None and vhd is not None and gallery is not None
    assert vhd.source == VHD_URL  # the run output's SAS is not kept
    assert gallery.generation is None  # every run makes a new version anyway
    keys = [
        (a.job_key if a else "", b.job_key if b else "") for a, b in zip(first, again, strict=True)
    ]
    assert [a != b for a, b in keys] == [True, True, False]
    assert managed.generation and vhd.generation
    first_names = naming.ImageNames(settings, rid(IMAGE), "westus", managed.generation)
    again_names = naming.ImageNames(
        settings, rid(IMAGE), "westus", again[0].generation if again[0] else None
    )
    assert first_names.dr_image() != again_names.dr_image()
    assert first_names.dr_snapshot("os") != again_names.dr_snapshot("os")
    assert first_names.staging_version("eastus") != again_names.staging_version("eastus")
    assert naming.dr_blob_name(VHD_URL, vhd.generation) != naming.dr_blob_name(VHD_URL)
    assert naming.dr_blob_name(VHD_URL, vhd.generation).endswith("/build-42.vhd")


def test_names_without_a_generation_are_the_names_of_before() -> None:
    settings = Settings()
    assert naming.ImageNames(settings, rid(IMAGE), "westus").dr_image() == naming.dr_image_id(
        settings, rid(IMAGE), "westus"
    )


def test_vhd_sas_is_limited_to_https_for_an_https_source() -> None:
    from urllib.parse import parse_qs

    from pydantic import SecretStr

    from shared.azure import blobs
    from shared.storage_urls import BlobAddress, check_blob_url

    key = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U="
    settings = Settings(
        primary_storage_connection_string=SecretStr(f"AccountName=aibstaging;AccountKey={key}")
    )
    address = check_blob_url(VHD_URL, settings, "artifact_uri")
    token = parse_qs(blobs._sign(None, settings, address))  # type: ignore[arg-type]
    assert token["spr"] == ["https"] and token["sp"] == ["r"]
    local = BlobAddress("aibstaging", "vhds", "x.vhd", "http://127.0.0.1:10000/aibstaging")
    assert "spr" not in parse_qs(blobs._sign(None, settings, local))  # type: ignore[arg-type]


# ---- finding 10: waits use the estimate; polls double only while nothing moves ----------


def test_plan_reports_the_copy_estimate_and_whether_something_else_is_polled(
    settings: Settings,
) -> None:
    started = NOW - timedelta(seconds=100)
    copies = {
        label: snapshot(
            naming.dr_snapshot_id(settings, rid(IMAGE), label, "westus"),
            "westus",
            50.0,
            created=started,
        )
        for label in ("os", "lun0")
    }
    plan = protection_for(MANAGED, ImageFacts(image(), disk_sources(), {}, copies), settings, NOW)
    assert (plan.estimate, plan.polling) == (100.0, False)
    zero = {k: snapshot(v.id, "westus", 0.0, created=started) for k, v in copies.items()}
    plan = protection_for(MANAGED, ImageFacts(image(), disk_sources(), {}, zero), settings, NOW)
    assert (plan.estimate, plan.polling) == (None, True)


def test_the_poll_count_starts_over_when_progress_moves(settings: Settings) -> None:
    import logging

    from shared.images.jobs import _wait
    from shared.images.protect import Pass
    from shared.jobs.registry import StepContext

    replicating = gallery_facts(
        settings,
        version=version(targets=("eastus", "westus"), replication={"westus": ("Replicating", 40)}),
    )
    done = Pass(plan_gallery(GALLERY, replicating, settings))

    def context(data: dict[str, Any]) -> StepContext:
        log = logging.LoggerAdapter(logging.getLogger("test"), {})
        return StepContext(
            "j", "image_replication", "k", "protect", 3, data, lambda: NOW, settings, log
        )

    same = _wait(context({"polls": 3, "progress": "replication Replicating 40%"}), done)
    moved = _wait(context({"polls": 3, "progress": "replication Replicating 20%"}), done)
    assert (same.seconds, same.data["polls"]) == (240, 4)  # type: ignore[index]
    assert (moved.seconds, moved.data["polls"]) == (30, 1)  # type: ignore[index]


def test_replication_is_estimated_from_its_rate_between_two_looks(settings: Settings) -> None:
    from shared.images.jobs import _wait
    from shared.images.policy import observe
    from shared.images.protect import Pass

    facts = gallery_facts(
        settings,
        version=version(targets=("eastus", "westus"), replication={"westus": ("Replicating", 40)}),
    )
    plan = plan_gallery(GALLERY, facts, settings)
    (key,) = plan.polled
    earlier = {key: [20.0, (NOW - timedelta(seconds=60)).isoformat()]}

    estimates, unknown, kept = observe(settings, earlier, plan.polled, NOW)

    assert (estimates, unknown) == ([180.0], False)  # 20 % a minute, 60 % to go
    assert kept == {key: [40.0, NOW.isoformat()]}
    still = observe(settings, kept, plan.polled, NOW + timedelta(seconds=30))
    assert still == ([], True, kept)  # no move since: the earlier point is kept

    import logging

    from shared.jobs.registry import StepContext

    log = logging.LoggerAdapter(logging.getLogger("test"), {})
    data = {"polls": 5, "progress": "replication Replicating 40%", "seen": earlier}
    ctx = StepContext("j", "image_replication", "k", "protect", 3, data, lambda: NOW, settings, log)
    assert _wait(ctx, Pass(plan)).seconds == 180  # not the 600 s the poll had grown to
