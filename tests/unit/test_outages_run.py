"""Submitting a plan execution and reading it back, on the in-memory stores (no Azure)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import bootstrap
from shared.config import Settings
from shared.engine.actions import CreateDiskFromSnapshot, CreateNic, CreateVm
from shared.errors import InvalidInput
from shared.features import job_registry
from shared.jobs import ManualClock
from shared.outages.execute import action_for, targets
from shared.outages.execution import IntentKind
from shared.outages.recovery_records import load_plan, plan_record
from shared.outages.run import (
    EXECUTION_KIND,
    execution_job_id,
    execution_view,
    running_executions,
    submit_execution,
)
from tests.support.fakes import InMemoryJobQueue, InMemoryJobStore, InMemoryRecordStore
from tests.support.recovery import ALERT, plan_for
from tests.unit.outage_builders import SUB

OTHER_SUB = "11111111-1111-1111-1111-111111111111"


def _deps(subscriptions: tuple[str, ...] = (SUB,)) -> Any:
    return bootstrap(
        settings=Settings(subscriptions=subscriptions),
        clock=ManualClock(ALERT),
        registry=job_registry(),
        job_store=InMemoryJobStore(),
        job_queue=InMemoryJobQueue(),
        records=InMemoryRecordStore(),
    )


def test_submit_stores_the_approved_plan_and_is_idempotent_per_revision() -> None:
    deps = _deps()
    plan = plan_for(["web1", "web2"])
    job_id = submit_execution(deps, plan, revision=3, alert_received_at=ALERT)
    assert job_id == execution_job_id(plan.plan_id, 3)
    assert submit_execution(deps, plan, revision=3, alert_received_at=None) == job_id
    assert len(deps.jobs.list(kind=EXECUTION_KIND)) == 1
    assert len(deps.job_queue.sent) == 1
    assert load_plan(deps.records, plan.plan_id, 3) == plan
    (job,) = deps.jobs.list(kind=EXECUTION_KIND)
    assert job.data["alertReceivedAt"] == ALERT.isoformat()
    assert "plan" not in job.data, "the plan lives in the DR record store, not in job data"


def test_a_queued_execution_shows_every_item_pending_with_its_writes() -> None:
    deps = _deps()
    plan = plan_for(["web1"], data_disks=2)
    submit_execution(deps, plan, revision=1, alert_received_at=ALERT)
    view = execution_view(deps, plan.plan_id)
    assert view is not None and view.state == "queued"
    (item,) = view.items
    assert item.state == "pending"
    assert [w.kind for w in item.writes] == ["disk", "disk", "disk", "nic", "vm"]
    assert view.rto_seconds is None
    body = view.to_dict()
    assert body["statusUrl"] == f"/api/jobs/{view.job_id}"
    assert body["items"][0]["writes"][0]["state"] == "pending"
    assert [v.plan_id for v in running_executions(deps)] == [plan.plan_id]


@pytest.mark.parametrize("revision", [-1, True, "1"])
def test_a_bad_revision_is_refused_before_anything_is_written(revision: Any) -> None:
    deps = _deps()
    plan = plan_for(["web1"])
    with pytest.raises(InvalidInput, match="revision"):
        submit_execution(deps, plan, revision=revision, alert_received_at=ALERT)
    assert deps.records.get(plan_record(plan.plan_id, 1)) is None
    assert deps.jobs.list() == []


def test_a_plan_with_an_item_outside_the_scope_is_refused_and_nothing_is_written() -> None:
    deps = _deps(subscriptions=(OTHER_SUB,))
    plan = plan_for(["web1"])
    with pytest.raises(InvalidInput, match=r"items\.subject"):
        submit_execution(deps, plan, revision=1, alert_received_at=ALERT)
    assert deps.records.list_metadata("executions/") == {}
    assert deps.jobs.list() == []


def test_every_vm_write_becomes_the_engine_action_the_plan_describes() -> None:
    plan = plan_for(["web1"], data_disks=1, drill="ab12cd34")
    actions = [action_for(plan, t) for t in targets(plan).values()]
    disks = [a for a in actions if isinstance(a, CreateDiskFromSnapshot)]
    (nic,) = [a for a in actions if isinstance(a, CreateNic)]
    (vm,) = [a for a in actions if isinstance(a, CreateVm)]
    assert sorted(d.source.rsplit("/", 1)[-1] for d in disks) == ["web1-d0", "web1-os"]
    assert nic.allocation == "Static" and nic.private_ip == "10.0.1.10"
    assert "/virtualNetworks/drill/" in nic.subnet
    assert [lun for _, lun, _ in vm.disks] == [None, 0]
    assert vm.nics == ((nic.target, True),)
    assert vm.security_type == "TrustedLaunch" and vm.vtpm_enabled and vm.secure_boot_enabled
    assert all(a.tags["lifeboat-drill"] == "ab12cd34" for a in actions)  # type: ignore[attr-defined]
    assert {t.intent.kind for t in targets(plan).values()} == {
        IntentKind.DISK,
        IntentKind.NIC,
        IntentKind.VM,
    }
