"""Template restore against the ARM emulator, reading backups only from DR-region storage."""

from __future__ import annotations

from typing import Any

import pytest

from shared.arm_id import ResourceId
from shared.templates.backup import deployable
from shared.templates.errors import BackupNotFound, RestoreConflict
from shared.templates.recovery import RestoreOutcome, restore_template
from shared.templates.requests import RestoreRequest
from shared.templates.restore_model import dr_name, dr_template_name
from shared.templates.service import backup_template
from tests.plugins.arm import LifeboatEnv
from tests.support.templates import (
    DR,
    DR_RESOURCE_GROUP,
    PRIMARY,
    create_template,
    deps,
    dr_blobs,
    gallery_template,
    identity_id,
    resource,
    seed_gallery,
    template_body,
    template_id,
    update_tags,
)
from tests.unit.test_templates_sdk_body import sdk_body_errors

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

DR_GROUP = DR_RESOURCE_GROUP


@pytest.fixture
def env(lifeboat_env: LifeboatEnv) -> LifeboatEnv:
    return lifeboat_env


def backed_up(name: str = "web", body: dict[str, Any] | None = None) -> ResourceId:
    tid = template_id(name)
    create_template(tid, body)
    backup_template(tid, deps())
    return tid


def dr_template_id(name: str = "web", group: str = "app") -> ResourceId:
    return template_id(dr_template_name(template_id(name, group), DR), DR_GROUP)


def stored(arm: Any, rid: ResourceId) -> dict[str, Any]:
    found = arm.state.get(str(rid))
    assert found is not None, f"{rid} is not in the emulator"
    return dict(found)


def test_restore_recreates_the_template_in_the_dr_region(env: LifeboatEnv) -> None:
    tid = backed_up()

    result = restore_template(RestoreRequest(tid), deps())

    assert result.outcome == RestoreOutcome.CREATED
    assert result.target_id == str(dr_template_id())
    assert result.provisioning_state == "Succeeded"
    body = stored(env.arm, dr_template_id())
    assert sdk_body_errors(result.body) == [] and deployable(body) == result.body
    assert body["location"] == DR
    [managed] = body["properties"]["distribute"]
    assert (managed["type"], managed["location"]) == ("ManagedImage", DR)
    source_image = template_body()["properties"]["distribute"][0]["imageId"]
    assert managed["imageId"] == resource(
        DR_GROUP, f"Microsoft.Compute/images/{dr_name('web', DR, source_image, 80)}"
    )
    assert body["properties"]["source"]["sku"] == "20_04-lts-gen2"
    assert body["tags"]["lifeboat-restored-from"] == str(tid)


def test_same_named_templates_of_two_groups_restore_side_by_side(env: LifeboatEnv) -> None:
    one = backed_up_in("rg1")
    two = backed_up_in("rg2")

    first = restore_template(RestoreRequest(one), deps())
    second = restore_template(RestoreRequest(two), deps())

    assert (first.outcome, second.outcome) == (RestoreOutcome.CREATED,) * 2
    assert first.target_id != second.target_id
    images = {
        stored(env.arm, dr_template_id("web", g))["properties"]["distribute"][0]["imageId"]
        for g in ("rg1", "rg2")
    }
    assert len(images) == 2


def backed_up_in(group: str) -> ResourceId:
    tid = template_id("web", group)
    body = template_body()
    body["properties"]["distribute"][0]["imageId"] = resource(group, "Microsoft.Compute/images/web")
    create_template(tid, body)
    backup_template(tid, deps())
    return tid


def test_identity_and_subnet_maps_come_from_settings(env: LifeboatEnv) -> None:
    body = template_body()
    subnet = resource("net", "Microsoft.Network/virtualNetworks/vnet/subnets/build")
    dr_subnet = resource("net-dr", "Microsoft.Network/virtualNetworks/vnet-dr/subnets/build")
    dr_identity = identity_id("aib-dr", "identities-dr")
    body["properties"]["vmProfile"] = {
        "vmSize": "Standard_D2s_v3",
        "vnetConfig": {"subnetId": subnet},
    }
    tid = backed_up(body=body)
    settings = {"identity_map": {identity_id(): dr_identity}, "subnet_map": {subnet: dr_subnet}}

    result = restore_template(RestoreRequest(tid), deps(**settings))

    created = stored(env.arm, dr_template_id())
    assert list(created["identity"]["userAssignedIdentities"]) == [dr_identity]
    assert created["properties"]["vmProfile"]["vnetConfig"]["subnetId"] == dr_subnet
    assert result.attention == ()


def test_restoring_twice_sends_one_put(env: LifeboatEnv) -> None:
    tid = backed_up()
    env.arm.log.clear()

    first = restore_template(RestoreRequest(tid), deps())
    second = restore_template(RestoreRequest(tid), deps())

    assert (first.outcome, second.outcome) == (RestoreOutcome.CREATED, RestoreOutcome.UNCHANGED)
    assert env.arm.log.count("PUT", "imageTemplates/") == 1
    assert second.body == first.body


def test_restore_succeeds_while_the_primary_region_is_down(env: LifeboatEnv) -> None:
    tid = backed_up()
    env.arm.faults.region_down(PRIMARY)
    env.arm.log.clear()

    result = restore_template(RestoreRequest(tid), deps())

    assert result.outcome == RestoreOutcome.CREATED
    assert stored(env.arm, dr_template_id())["location"] == DR
    touched = [e.path for e in env.arm.log.entries()]
    # The DR group itself (read before the first write into it), what is in it, DR-region ops.
    dr_side = (f"/{DR_GROUP}/", f"/locations/{DR}/")
    assert touched and all(any(d in f"{p.lower()}/" for d in dr_side) for p in touched)
    assert env.arm.log.count(status=503) == 0


def test_primary_region_down_really_stops_primary_reads(env: LifeboatEnv) -> None:
    """Guards the test above: with the region down, the source template cannot be read."""
    tid = backed_up()
    env.arm.faults.region_down(PRIMARY)
    env.arm.faults.fast_retries()

    with pytest.raises(Exception, match="ServiceUnavailable"):
        backup_template(tid, deps())


def test_dry_run_returns_the_exact_body_and_writes_nothing(env: LifeboatEnv) -> None:
    tid = backed_up()
    env.arm.log.clear()
    blobs = dr_blobs()

    dry = restore_template(RestoreRequest(tid, dry_run=True), deps())

    assert dry.outcome == RestoreOutcome.DRY_RUN
    assert env.arm.log.mutations() == [] and dr_blobs() == blobs
    assert {c.path for c in dry.changes} >= {"location", "properties.distribute[0].location"}
    restore_template(RestoreRequest(tid), deps())
    assert deployable(stored(env.arm, dr_template_id())) == dry.body


def test_settings_dry_run_also_writes_nothing(env: LifeboatEnv) -> None:
    tid = backed_up()
    env.arm.log.clear()

    result = restore_template(RestoreRequest(tid), deps(dry_run=True))

    assert result.outcome == RestoreOutcome.DRY_RUN and env.arm.log.mutations() == []


def test_other_content_under_the_dr_name_is_a_conflict_and_nothing_is_written(
    env: LifeboatEnv,
) -> None:
    tid = backed_up()
    create_template(dr_template_id(), template_body(location=DR))
    env.arm.log.clear()

    with pytest.raises(RestoreConflict) as err:
        restore_template(RestoreRequest(tid), deps())

    assert "delete it and restore again" in err.value.message
    assert env.arm.log.mutations() == []


def test_a_new_name_sidesteps_the_conflict(env: LifeboatEnv) -> None:
    tid = backed_up()
    create_template(dr_template_id(), template_body(location=DR))

    result = restore_template(RestoreRequest(tid, name="web-dr-2"), deps())

    assert result.outcome == RestoreOutcome.CREATED
    assert stored(env.arm, template_id("web-dr-2", DR_GROUP))["location"] == DR


def test_an_older_backup_is_chosen_by_hash_prefix(env: LifeboatEnv) -> None:
    tid = backed_up()
    first = next(iter(v for v in dr_blobs() if "/versions/" in v)).rsplit("/", 1)[1][:12]
    update_tags(tid, {"team": "images", "rev": "2"})
    backup_template(tid, deps())

    result = restore_template(RestoreRequest(tid, backup=first), deps())

    assert result.backup.startswith(first)
    assert "rev" not in stored(env.arm, dr_template_id())["tags"]


def test_a_deleted_template_can_still_be_restored(env: LifeboatEnv) -> None:
    tid = backed_up()
    env.arm.state.delete(str(tid))
    backup_template(tid, deps())

    assert restore_template(RestoreRequest(tid), deps()).outcome == RestoreOutcome.CREATED


def test_unknown_template_has_no_backup_and_nothing_is_written(env: LifeboatEnv) -> None:
    env.arm.log.clear()
    with pytest.raises(BackupNotFound) as err:
        restore_template(RestoreRequest(template_id("never")), deps())
    assert err.value.field == "templateId"
    assert env.arm.log.mutations() == [] and dr_blobs() == {}


def test_unknown_backup_hash_is_not_found(env: LifeboatEnv) -> None:
    tid = backed_up()
    with pytest.raises(BackupNotFound) as err:
        restore_template(RestoreRequest(tid, backup="0123456789abcdef"), deps())
    assert err.value.field == "backup"


# Gallery sources: the version must be in the template's region for Image Builder.


def test_gallery_source_is_rewritten_to_its_copy_in_the_dr_gallery(env: LifeboatEnv) -> None:
    tid = backed_up(body=gallery_template(seed_gallery(env.arm, dr_copy=True)))

    result = restore_template(RestoreRequest(tid), deps())

    copy_id = resource(
        DR_GROUP, "Microsoft.Compute/galleries/lifeboat_dr/images/ubuntu/versions/1.0.0"
    )
    body = stored(env.arm, dr_template_id())
    assert body["properties"]["source"]["imageVersionId"] == copy_id
    assert result.provisioning_state == "Succeeded"
    assert not [a for a in result.attention if a.code.startswith("source")]


def test_gallery_source_missing_in_the_dr_region_needs_attention(env: LifeboatEnv) -> None:
    tid = backed_up(body=gallery_template(seed_gallery(env.arm, dr_copy=False)))

    dry = restore_template(RestoreRequest(tid, dry_run=True), deps())

    assert [a.code for a in dry.attention if a.code.startswith("source")] == [
        "source_not_in_dr_region"
    ]


def test_gallery_source_is_unverified_while_the_primary_region_is_down(env: LifeboatEnv) -> None:
    tid = backed_up(body=gallery_template(seed_gallery(env.arm, dr_copy=False)))
    env.arm.faults.region_down(PRIMARY)

    dry = restore_template(RestoreRequest(tid, dry_run=True), deps())

    assert [a.code for a in dry.attention if a.code.startswith("source")] == ["source_unverified"]


def test_a_source_probe_into_a_region_that_is_down_is_one_attempt(env: LifeboatEnv) -> None:
    version = seed_gallery(env.arm, dr_copy=False)
    tid = backed_up(body=gallery_template(version))
    env.arm.faults.region_down(PRIMARY)
    env.arm.log.clear()

    restore_template(RestoreRequest(tid, dry_run=True), deps())

    failed = [e.path.lower() for e in env.arm.log.entries() if e.status >= 500]
    # Is the version in the DR region? Asked once, not retried: a restore during the outage
    # is not held up by the SDK's backoff.
    assert failed == [version.lower()]


# Damaged backups: a clear 404-class error naming the damage, never a crash.


# SharedImage outputs go to the same definition in the DR gallery, which must exist.


def shared_image_template() -> dict[str, Any]:
    body = template_body()
    body["properties"]["distribute"] = [
        {
            "type": "SharedImage",
            "galleryImageId": resource("img", "Microsoft.Compute/galleries/prod/images/ubuntu"),
            "runOutputName": "sig",
            "targetRegions": [{"name": PRIMARY, "replicaCount": 1}],
        }
    ]
    return body


def test_a_shared_image_output_without_its_dr_definition_needs_attention(env: LifeboatEnv) -> None:
    tid = backed_up(body=shared_image_template())

    missing = restore_template(RestoreRequest(tid, dry_run=True), deps())
    seed_gallery(env.arm, dr_copy=True)  # creates lifeboat_dr/images/ubuntu in the DR group
    present = restore_template(RestoreRequest(tid, dry_run=True), deps())

    [item] = [a for a in missing.attention if a.code == "dr_gallery_image_missing"]
    assert item.path == "properties.distribute[0].galleryImageId"
    assert "lifeboat_dr/images/ubuntu" in item.message
    assert not [a for a in present.attention if a.code.startswith("dr_gallery_image")]
