"""Damaged template backups in DR storage: reported and repaired, never a crash."""

from __future__ import annotations

import hashlib

import pytest

from shared.arm_id import ResourceId
from shared.bootstrap import get_deps
from shared.templates.errors import BackupDamaged
from shared.templates.recovery import RestoreOutcome, restore_template
from shared.templates.requests import RestoreRequest
from shared.templates.results import Outcome
from shared.templates.service import backup_template
from tests.plugins.arm import LifeboatEnv
from tests.support.templates import (
    create_template,
    damage_pointer,
    delete_template,
    deps,
    dr_blobs,
    overwrite_blob,
    pointer,
    template_id,
    update_tags,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


@pytest.fixture
def env(lifeboat_env: LifeboatEnv) -> LifeboatEnv:
    return lifeboat_env


def backed_up(name: str = "web") -> ResourceId:
    tid = template_id(name)
    create_template(tid)
    backup_template(tid, deps())
    return tid


# Pointers: the next backup replaces a damaged one.


def test_a_damaged_pointer_is_replaced_by_the_next_backup(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup_template(tid, deps())
    damage_pointer(dr_blobs())

    result = backup_template(tid, deps())

    assert result.outcome == Outcome.BACKED_UP
    meta = pointer(dr_blobs()).metadata
    assert meta["contenthash"] == result.content_hash and meta["deleted"] == "false"
    assert backup_template(tid, deps()).outcome == Outcome.UNCHANGED


def test_a_damaged_pointer_of_a_deleted_template_is_rebuilt_marked_deleted(
    env: LifeboatEnv,
) -> None:
    tid = template_id()
    create_template(tid)
    first = backup_template(tid, deps())
    damage_pointer(dr_blobs())
    delete_template(tid)

    result = backup_template(tid, deps())

    assert (result.outcome, result.content_hash) == (Outcome.MARKED_DELETED, first.content_hash)
    meta = pointer(dr_blobs()).metadata
    assert meta["deleted"] == "true" and meta["contenthash"] == first.content_hash


def test_a_version_with_a_damaged_capture_time_does_not_stop_retention(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    first = backup_template(tid, deps())
    get_deps().clients.blob_service("dr").get_blob_client(
        deps().settings.templates_container, first.blob or ""
    ).set_blob_metadata({"capturedat": "yesterday"})
    update_tags(tid, {"rev": "2"})

    result = backup_template(tid, deps(template_backup_retention=1))

    assert result.outcome == Outcome.BACKED_UP and result.pruned == (first.content_hash,)


# Versions: a restore names the damage (404) and writes nothing.


def test_a_damaged_version_blob_is_reported_as_a_damaged_backup(env: LifeboatEnv) -> None:
    tid = backed_up()
    [version] = [n for n in dr_blobs() if "/versions/" in n]
    overwrite_blob(version, b"{not json")
    env.arm.log.clear()

    with pytest.raises(BackupDamaged) as err:
        restore_template(RestoreRequest(tid), deps())

    assert err.value.field == "backup" and "damaged" in err.value.message
    assert env.arm.log.mutations() == []


def test_a_damaged_pointer_still_allows_restoring_a_backup_by_hash(env: LifeboatEnv) -> None:
    tid = backed_up()
    [version] = [n for n in dr_blobs() if "/versions/" in n]
    damage_pointer(dr_blobs())

    with pytest.raises(BackupDamaged, match=r"latest\.json"):
        restore_template(RestoreRequest(tid), deps())
    by_hash = restore_template(RestoreRequest(tid, backup=version.rsplit("/", 1)[1][:12]), deps())

    assert by_hash.outcome == RestoreOutcome.CREATED


def test_a_backup_that_is_json_but_no_template_is_a_damaged_backup(env: LifeboatEnv) -> None:
    tid = backed_up()
    data = b'{"properties":{}}'
    digest = hashlib.sha256(data).hexdigest()
    deps().backups.put_version(tid, digest, data, {})

    with pytest.raises(BackupDamaged) as err:
        restore_template(RestoreRequest(tid, backup=digest[:12]), deps())

    assert err.value.field == "backup" and "backup.location" in err.value.message
