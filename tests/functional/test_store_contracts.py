"""One contract per storage port, held by the Azure implementation (Azurite) and the fake alike."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from shared.arm_id import ResourceId
from shared.jobs.model import Job, JobConflict, JobState, new_job
from shared.ports import BackupStore, JobStorePort, RecordStore
from shared.templates.backup import Pointer
from tests.support.fakes import InMemoryBackupStore, InMemoryJobStore, InMemoryRecordStore

NOW = datetime(2030, 1, 1, tzinfo=UTC)
TEMPLATE = ResourceId.parse(
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
    "/providers/Microsoft.VirtualMachineImages/imageTemplates/web",
    "templateId",
)
AZURE = pytest.param("azure", marks=pytest.mark.azurite)
IMPLEMENTATIONS = [AZURE, "fake"]
T = TypeVar("T")


def _azure_job_store() -> JobStorePort:
    from shared.bootstrap import get_deps

    return get_deps().job_store


def _azure_backups() -> BackupStore:
    from shared.bootstrap import get_deps

    return get_deps().backups


def _azure_records() -> RecordStore:
    from shared.bootstrap import get_deps

    return get_deps().records


def _implementation(
    request: pytest.FixtureRequest, azure: Callable[[], T], fake: Callable[[], T]
) -> T:
    if request.param == "fake":
        return fake()
    request.getfixturevalue("storage_env")  # Azurite, emptied, the app pointed at it
    return azure()


@pytest.fixture(params=IMPLEMENTATIONS)
def jobs(request: pytest.FixtureRequest) -> JobStorePort:
    return _implementation(request, _azure_job_store, InMemoryJobStore)


@pytest.fixture(params=IMPLEMENTATIONS)
def backups(request: pytest.FixtureRequest) -> BackupStore:
    return _implementation(request, _azure_backups, InMemoryBackupStore)


@pytest.fixture(params=IMPLEMENTATIONS)
def records(request: pytest.FixtureRequest) -> RecordStore:
    return _implementation(request, _azure_records, InMemoryRecordStore)


def _job(kind: str = "demo_copy", key: str = "img@1") -> Job:
    return new_job(kind, key, ("copy", "publish"), {"source": key}, NOW)


# --- job store -------------------------------------------------------------------------------


def test_job_store_reads_back_what_it_created_with_an_etag(jobs: JobStorePort) -> None:
    job = _job()
    assert jobs.get(job.id, job.kind) is None

    created = jobs.create(job)

    assert created.etag
    found = jobs.get(created.id, created.kind)
    assert found is not None and found == created


def test_job_store_refuses_a_second_create_and_a_stale_replace(jobs: JobStorePort) -> None:
    created = jobs.create(_job())
    with pytest.raises(JobConflict):
        jobs.create(_job())

    moved = jobs.replace(replace(created, state=JobState.RUNNING))
    assert moved.etag and moved.etag != created.etag
    with pytest.raises(JobConflict):
        jobs.replace(replace(created, state=JobState.FAILED))  # the ETag it read is stale
    stored = jobs.get(created.id, created.kind)
    assert stored is not None and stored.state == JobState.RUNNING


def test_job_store_replace_of_a_job_never_created_is_a_conflict(jobs: JobStorePort) -> None:
    with pytest.raises(JobConflict):
        jobs.replace(replace(_job(), etag='W/"1"'))


def test_one_of_two_racing_replaces_wins(jobs: JobStorePort) -> None:
    created = jobs.create(_job())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(state: JobState) -> None:
        barrier.wait()
        try:
            jobs.replace(replace(created, state=state))
            outcomes.append("won")
        except JobConflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=write, args=(s,)) for s in (JobState.RUNNING, JobState.FAILED)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "won"]


def test_job_store_query_filters_by_kind_and_state_and_limits(jobs: JobStorePort) -> None:
    a = jobs.create(_job("demo_copy", "a"))
    jobs.create(_job("demo_copy", "b"))
    jobs.create(_job("other_kind", "c"))
    jobs.replace(replace(a, state=JobState.SUCCEEDED))

    assert len(jobs.query(None, None, 10)) == 3
    assert {j.key for j in jobs.query("demo_copy", None, 10)} == {"a", "b"}
    assert [j.key for j in jobs.query("demo_copy", "succeeded", 10)] == ["a"]
    assert len(jobs.query(None, None, 2)) == 2
    assert jobs.query("no_such_kind", None, 10) == []


# --- backup store ----------------------------------------------------------------------------


def _pointer(digest: str, at: datetime = NOW) -> Pointer:
    return Pointer(str(TEMPLATE), digest, at, "2024-02-01")


def test_backup_pointer_moves_only_from_the_etag_it_was_read_at(backups: BackupStore) -> None:
    assert backups.read_pointer(TEMPLATE) is None
    assert backups.write_pointer(TEMPLATE, _pointer("aaaa"), None)
    assert not backups.write_pointer(TEMPLATE, _pointer("bbbb"), None)  # exists already

    found = backups.read_pointer(TEMPLATE)
    assert found is not None and found[0].content_hash == "aaaa"
    assert backups.write_pointer(TEMPLATE, _pointer("bbbb"), found[1])
    assert not backups.write_pointer(TEMPLATE, _pointer("cccc"), found[1])  # stale ETag
    assert backups.read_pointer(TEMPLATE)[0].content_hash == "bbbb"  # type: ignore[index]
    assert [p.content_hash for p in backups.list_pointers()] == ["bbbb"]


def test_backup_versions_are_created_once_touched_listed_and_deleted(
    backups: BackupStore,
) -> None:
    meta = {"capturedat": NOW.isoformat()}
    later = {"capturedat": (NOW + timedelta(hours=1)).isoformat()}

    assert backups.put_version(TEMPLATE, "aaaa", b'{"v": 1}', meta)
    assert not backups.put_version(TEMPLATE, "aaaa", b'{"v": 2}', meta)  # same name: kept
    assert backups.read_version(TEMPLATE, "aaaa") == b'{"v": 1}'
    assert backups.has_version(TEMPLATE, "aaaa") and not backups.has_version(TEMPLATE, "bbbb")
    assert backups.touch_version(TEMPLATE, "aaaa", later)
    assert not backups.touch_version(TEMPLATE, "bbbb", later)  # gone: put it again

    [version] = backups.list_versions(TEMPLATE)
    assert (version.content_hash, version.captured_at) == ("aaaa", NOW + timedelta(hours=1))

    backups.delete_version(TEMPLATE, "aaaa")
    backups.delete_version(TEMPLATE, "aaaa")  # already gone is success
    assert backups.read_version(TEMPLATE, "aaaa") is None
    assert backups.list_versions(TEMPLATE) == []


def test_a_held_pointer_cannot_move_and_cannot_be_held_twice(backups: BackupStore) -> None:
    with backups.pointer_held(TEMPLATE) as held:
        assert not held  # no pointer yet: nothing to hold
    assert backups.write_pointer(TEMPLATE, _pointer("aaaa"), None)
    etag = backups.read_pointer(TEMPLATE)[1]  # type: ignore[index]

    with backups.pointer_held(TEMPLATE) as held:
        assert held
        with backups.pointer_held(TEMPLATE) as again:
            assert not again
        assert not backups.write_pointer(TEMPLATE, _pointer("bbbb"), etag)

    assert backups.write_pointer(TEMPLATE, _pointer("bbbb"), etag)  # released


# --- record store ----------------------------------------------------------------------------


def test_records_overwrite_read_back_and_list_by_prefix(records: RecordStore) -> None:
    assert records.get("builds/one.json") is None
    assert records.list_metadata("builds/") == {}

    records.put("builds/one.json", {"state": "copying", "n": 1}, {"state": "copying"})
    records.put("builds/one.json", {"state": "dr_ready", "n": 2}, {"state": "dr_ready"})
    records.put("artifacts/two.json", {"state": "copying"}, {"state": "copying"})

    assert records.get("builds/one.json") == {"state": "dr_ready", "n": 2}
    assert records.list_metadata("builds/") == {"builds/one.json": {"state": "dr_ready"}}
    assert set(records.list_metadata("")) == {"builds/one.json", "artifacts/two.json"}
