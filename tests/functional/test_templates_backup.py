"""Template backup services against the ARM emulator and Azurite (the DR-region account)."""

from __future__ import annotations

import threading

import pytest

from shared.errors import InvalidInput
from shared.jobs.clock import ManualClock
from shared.templates.backup import content_hash, deployable, template_id_of
from shared.templates.errors import TemplateNotFound
from shared.templates.results import Outcome
from shared.templates.service import backup_template
from tests.plugins.arm import LifeboatEnv
from tests.support.templates import (
    START,
    create_template,
    delete_template,
    deps,
    dr_blobs,
    pointer,
    read_blob,
    subscription,
    template_id,
    update_tags,
    versions,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


@pytest.fixture
def env(lifeboat_env: LifeboatEnv) -> LifeboatEnv:
    return lifeboat_env


def test_first_backup_stores_deployable_json_and_a_pointer_with_metadata(env: LifeboatEnv) -> None:
    tid = template_id()
    created = create_template(tid)

    result = backup_template(tid, deps())

    blobs = dr_blobs()
    [version] = versions(blobs)
    body = read_blob(version)
    assert result.outcome == Outcome.BACKED_UP and result.blob == version
    assert body == deployable(created)
    assert set(body) == {"location", "tags", "identity", "properties"}
    assert "provisioningState" not in body["properties"]
    assert "exactStagingResourceGroup" not in body["properties"]
    assert version.endswith(f"/versions/{content_hash(body)}.json")
    assert version.startswith(f"{subscription()}/app/web/")
    meta = pointer(blobs).metadata
    assert meta["contenthash"] == content_hash(body) == blobs[version].metadata["contenthash"]
    assert meta["capturedat"] == START.isoformat()
    assert meta["apiversion"] == "2025-10-01"
    assert meta["deleted"] == "false"
    assert meta["sourceid"].lower() == str(tid).lower()


def test_backing_up_an_unchanged_template_writes_no_blob(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    clock = ManualClock(START)
    backup_template(tid, deps(clock))
    before = dr_blobs()
    clock.advance(3600)

    result = backup_template(tid, deps(clock))

    assert result.outcome == Outcome.UNCHANGED
    assert dr_blobs() == before  # same names, metadata and ETags


def test_a_change_adds_a_version_and_moves_the_pointer(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    clock = ManualClock(START)
    first = backup_template(tid, deps(clock))
    update_tags(tid, {"team": "images", "owner": "ops"})
    clock.advance(60)

    second = backup_template(tid, deps(clock))

    blobs = dr_blobs()
    assert second.outcome == Outcome.BACKED_UP and second.content_hash != first.content_hash
    assert len(versions(blobs)) == 2
    assert pointer(blobs).metadata["contenthash"] == second.content_hash
    assert read_blob(second.blob or "")["tags"]["owner"] == "ops"


def test_going_back_to_earlier_content_reuses_its_blob_and_moves_the_pointer_back(
    env: LifeboatEnv,
) -> None:
    tid = template_id()
    create_template(tid)
    clock = ManualClock(START)
    first = backup_template(tid, deps(clock))
    update_tags(tid, {"team": "other"})
    clock.advance(60)
    backup_template(tid, deps(clock))
    update_tags(tid, {"team": "images"})
    clock.advance(60)

    again = backup_template(tid, deps(clock))

    blobs = dr_blobs()
    assert again.content_hash == first.content_hash
    assert len(versions(blobs)) == 2
    assert pointer(blobs).metadata["contenthash"] == first.content_hash
    assert blobs[first.blob or ""].metadata["capturedat"] == clock().isoformat()


def test_a_deleted_template_keeps_its_backups_marked_deleted(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    clock = ManualClock(START)
    backup_template(tid, deps(clock))
    delete_template(tid)
    clock.advance(120)

    result = backup_template(tid, deps(clock))
    again = backup_template(tid, deps(clock))

    blobs = dr_blobs()
    assert (result.outcome, again.outcome) == (Outcome.MARKED_DELETED, Outcome.ALREADY_DELETED)
    assert len(versions(blobs)) == 1
    meta = pointer(blobs).metadata
    assert meta["deleted"] == "true" and meta["deletedat"] == clock().isoformat()
    assert read_blob(pointer(blobs).name)["deleted"] is True
    # Only the pointer knows the template is gone; a version never claims it is live.
    [version] = versions(blobs)
    assert not {"deleted", "deletedat"} & set(blobs[version].metadata)


def test_a_recreated_template_clears_the_deleted_mark(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup_template(tid, deps())
    delete_template(tid)
    backup_template(tid, deps())
    create_template(tid)

    result = backup_template(tid, deps())

    assert result.outcome == Outcome.BACKED_UP
    assert pointer(dr_blobs()).metadata["deleted"] == "false"
    assert len(versions(dr_blobs())) == 1


def test_retention_keeps_only_the_newest_versions(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    clock = ManualClock(START)
    hashes = [backup_template(tid, deps(clock, template_backup_retention=2)).content_hash]
    for n in range(3):
        update_tags(tid, {"rev": str(n)})
        clock.advance(60)
        hashes.append(backup_template(tid, deps(clock, template_backup_retention=2)).content_hash)

    kept = {name.rsplit("/", 1)[1].removesuffix(".json") for name in versions(dr_blobs())}

    assert kept == set(hashes[-2:])


def test_three_concurrent_backups_of_one_template_leave_one_version_and_one_pointer(
    env: LifeboatEnv,
) -> None:
    tid = template_id()
    create_template(tid)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            outcomes.append(backup_template(tid, deps()).outcome)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(outcomes) == [Outcome.BACKED_UP, Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert len(versions(dr_blobs())) == 1 and len(dr_blobs()) == 2


def test_unknown_template_is_not_found_and_nothing_is_written(env: LifeboatEnv) -> None:
    with pytest.raises(TemplateNotFound) as err:
        backup_template(template_id("nope"), deps(), require_known=True)

    assert err.value.field == "templateId"
    assert dr_blobs() == {}


OTHER_SUBSCRIPTION = "11111111-1111-1111-1111-111111111111"


def test_a_template_outside_the_scoped_subscriptions_is_skipped_without_reading_it(
    env: LifeboatEnv,
) -> None:
    other = template_id_of(
        f"/subscriptions/{OTHER_SUBSCRIPTION}/resourceGroups/app"
        "/providers/Microsoft.VirtualMachineImages/imageTemplates/web"
    )
    env.arm.log.clear()

    result = backup_template(other, deps())

    assert result.outcome == Outcome.SKIPPED
    assert len(env.arm.log) == 0 and dr_blobs() == {}
    with pytest.raises(InvalidInput, match="LIFEBOAT_SUBSCRIPTIONS") as err:
        backup_template(other, deps(), require_known=True)
    assert err.value.field == "templateId"
