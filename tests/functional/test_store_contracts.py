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
from shared.outages.approval import PlanStatus, Response, approve, open_status
from shared.outages.errors import StoreConflict
from shared.outages.ledger import LedgerEntry, record
from shared.outages.notification import Channel, Notification, RegionImpact
from shared.outages.plan_model import DrPlan, PlanKind
from shared.ports import BackupStore, JobStorePort, LedgerStore, PlanStore, RecordStore
from shared.templates.backup import Pointer
from tests.support.fakes import (
    InMemoryBackupStore,
    InMemoryJobStore,
    InMemoryLedgerStore,
    InMemoryPlanStore,
    InMemoryRecordStore,
)

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


def test_a_deleted_record_is_gone_and_deleting_it_again_is_success(records: RecordStore) -> None:
    records.put("events/overflow/j/e.json", {"event": {"id": "e"}}, {"jobid": "j"})
    records.put("events/overflow/j/f.json", {"event": {"id": "f"}}, {"jobid": "j"})

    records.delete("events/overflow/j/e.json")
    records.delete("events/overflow/j/e.json")  # already gone
    records.delete("never/written.json")

    assert records.get("events/overflow/j/e.json") is None
    assert set(records.list_metadata("events/")) == {"events/overflow/j/f.json"}


# ---- outages: alert ledger and plan store ----


def _azure_ledger() -> LedgerStore:
    from shared.bootstrap import get_deps

    return get_deps().ledger


def _azure_plans() -> PlanStore:
    from shared.bootstrap import get_deps

    return get_deps().plans


@pytest.fixture(params=IMPLEMENTATIONS)
def ledger(request: pytest.FixtureRequest) -> LedgerStore:
    return _implementation(request, _azure_ledger, InMemoryLedgerStore)


@pytest.fixture(params=IMPLEMENTATIONS)
def plans(request: pytest.FixtureRequest) -> PlanStore:
    return _implementation(request, _azure_plans, InMemoryPlanStore)


def _entry(tracking_id: str = "0nih-u2o", stage: str = "Active") -> LedgerEntry:
    impact = RegionImpact("Virtual Machines", "eastus")
    note = Notification(tracking_id, stage, NOW, (impact,), Channel.WEBHOOK, "c1")
    return record(None, note, NOW).entry


def test_ledger_creates_once_and_replaces_only_from_the_etag_it_read(ledger: LedgerStore) -> None:
    assert ledger.get("0NIH-U2O") is None
    etag = ledger.create(_entry())
    with pytest.raises(StoreConflict):
        ledger.create(_entry())
    found = ledger.get("0nih-u2o")
    assert found is not None and found == (_entry(), etag)
    resolved = replace(_entry(), stages_seen=("Active", "Resolved"))
    new_etag = ledger.replace(resolved, etag)
    assert new_etag != etag
    with pytest.raises(StoreConflict):
        ledger.replace(_entry(), etag)
    assert ledger.get("0NIH-U2O") == (resolved, new_etag)
    with pytest.raises(StoreConflict):
        ledger.replace(_entry("OTHER-1"), new_etag)
    ledger.create(_entry("AB-12"))
    assert [e.tracking_id for e in ledger.list()] == ["0NIH-U2O", "AB-12"]


def test_one_of_two_racing_ledger_replaces_wins(ledger: LedgerStore) -> None:
    etag = ledger.create(_entry())
    barrier, outcomes = threading.Barrier(2), []

    def write(stage: str) -> None:
        barrier.wait()
        try:
            ledger.replace(replace(_entry(), stages_seen=(stage,)), etag)
            outcomes.append("ok")
        except StoreConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(s,)) for s in ("Resolved", "RCA")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]


def _plan(plan_id: str = "plan-a") -> tuple[DrPlan, PlanStatus]:
    plan = DrPlan(plan_id, PlanKind.OUTAGE, "0NIH-U2O", "westus", "westus", NOW, (), 0.0)
    status = open_status(plan_id, PlanKind.OUTAGE, Response.APPROVE, NOW, timedelta(hours=4))
    return plan, status


def test_plan_store_creates_once_and_replaces_only_from_the_etag_it_read(plans: PlanStore) -> None:
    plan, status = _plan()
    assert plans.get("plan-a") is None
    stored = plans.create(plan, status)
    with pytest.raises(StoreConflict):
        plans.create(plan, status)
    read = plans.get("plan-a")
    assert read is not None and (read.plan, read.status, read.etag) == (plan, status, stored.etag)
    approved = approve(status, "alice@example.com", NOW)
    again = plans.replace(plan, approved, stored.etag)
    assert again.etag != stored.etag
    with pytest.raises(StoreConflict):
        plans.replace(plan, status, stored.etag)
    after = plans.get("plan-a")
    assert after is not None and after.status.approved_by == "alice@example.com"
    other_plan, other_status = _plan("plan-b")
    with pytest.raises(StoreConflict):
        plans.replace(other_plan, other_status, again.etag)
    plans.create(other_plan, other_status)
    assert [p.plan_id for p in plans.list()] == ["plan-a", "plan-b"]


def test_one_of_two_racing_plan_replaces_wins(plans: PlanStore) -> None:
    plan, status = _plan()
    etag = plans.create(plan, status).etag
    barrier, outcomes = threading.Barrier(2), []

    def write(who: str) -> None:
        barrier.wait()
        try:
            plans.replace(plan, approve(status, who, NOW), etag)
            outcomes.append(who)
        except StoreConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(w,)) for w in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("conflict") == 1
    final = plans.get("plan-a")
    assert final is not None and final.status.approved_by in {"alice", "bob"}
