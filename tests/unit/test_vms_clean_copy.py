"""The clean-copy journal: a crash anywhere never leaves a VM stopped that Lifeboat stopped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.vms import clean_copy as cc
from shared.vms.clean_copy import Action, JournalStep, PowerState, StopMethod
from shared.vms.facts import SecurityProfile
from shared.vms.findings import FindingCode

T0 = datetime(2026, 3, 10, tzinfo=UTC)
VM = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web1"


def test_trusted_launch_and_confidential_vms_are_always_powered_off_never_deallocated() -> None:
    for kind in ("TrustedLaunch", "ConfidentialVM"):
        assert cc.stop_method(SecurityProfile(kind), prefer_deallocate=True) is StopMethod.POWER_OFF


def test_other_vms_power_off_by_default_and_deallocate_only_when_asked() -> None:
    assert cc.stop_method(SecurityProfile()) is StopMethod.POWER_OFF
    assert cc.stop_method(SecurityProfile(), prefer_deallocate=True) is StopMethod.DEALLOCATE


@pytest.mark.parametrize(
    ("code", "state"),
    [
        ("PowerState/running", PowerState.RUNNING),
        ("PowerState/deallocated", PowerState.DEALLOCATED),
        ("powerstate/Stopped", PowerState.STOPPED),
        ("ProvisioningState/succeeded", PowerState.UNKNOWN),
        ("PowerState/hibernated", PowerState.UNKNOWN),
        (None, PowerState.UNKNOWN),
    ],
)
def test_power_state_codes_parse(code: str | None, state: PowerState) -> None:
    assert cc.power_state_from_code(code) is state


def test_happy_path_stops_snapshots_and_starts_the_vm() -> None:
    first = cc.begin(VM, "set1", PowerState.RUNNING, StopMethod.POWER_OFF, T0)
    assert first.action is Action.STOP
    assert first.journal is not None and first.journal.stopped_by_lifeboat
    journal = first.journal
    assert cc.resume(journal, PowerState.STOPPING, T0).action is Action.WAIT
    snap = cc.resume(journal, PowerState.STOPPED, T0)
    assert snap.action is Action.SNAPSHOT
    assert snap.journal is not None
    journal = cc.snapshots_taken(snap.journal, T0)
    start = cc.resume(journal, PowerState.STOPPED, T0)
    assert start.action is Action.START
    assert start.journal is not None
    done = cc.resume(start.journal, PowerState.RUNNING, T0)
    assert done.action is Action.FINISH
    assert done.journal is not None and done.journal.step is JournalStep.DONE
    assert done.journal.failure is None


def test_a_vm_the_customer_stopped_is_captured_and_never_started() -> None:
    first = cc.begin(VM, "set1", PowerState.DEALLOCATED, StopMethod.POWER_OFF, T0)
    assert first.action is Action.SNAPSHOT
    assert first.journal is not None and not first.journal.stopped_by_lifeboat
    after = cc.resume(cc.snapshots_taken(first.journal, T0), PowerState.DEALLOCATED, T0)
    assert after.action is Action.FINISH


def test_a_vm_started_by_someone_mid_capture_ends_the_set_as_not_clean() -> None:
    journal = cc.CleanCopyJournal(
        VM, "set1", JournalStep.SNAPSHOTTING, True, StopMethod.POWER_OFF, T0
    )
    decision = cc.resume(journal, PowerState.RUNNING, T0)
    assert decision.action is Action.FINISH
    assert decision.finding is not None
    assert decision.finding.code is FindingCode.STARTED_DURING_CLEAN_COPY
    assert decision.journal is not None and decision.journal.failure


def test_a_vm_that_never_stops_times_out_and_is_started_again() -> None:
    journal = cc.CleanCopyJournal(VM, "set1", JournalStep.STOPPING, True, StopMethod.POWER_OFF, T0)
    later = T0 + timedelta(minutes=31)
    decision = cc.resume(journal, PowerState.STOPPING, later)
    assert decision.action is Action.START
    assert decision.journal is not None and decision.journal.failure


def test_a_failed_snapshot_restarts_a_vm_lifeboat_stopped() -> None:
    journal = cc.CleanCopyJournal(
        VM, "set1", JournalStep.SNAPSHOTTING, True, StopMethod.POWER_OFF, T0
    )
    decision = cc.fail(journal, "snapshot refused", T0)
    assert decision.action is Action.START
    assert decision.journal is not None
    assert (decision.journal.step, decision.journal.failure) == (
        JournalStep.STARTING,
        "snapshot refused",
    )


def test_a_deleted_vm_ends_the_clean_copy() -> None:
    journal = cc.CleanCopyJournal(VM, "set1", JournalStep.STOPPING, True, StopMethod.POWER_OFF, T0)
    decision = cc.resume(journal, PowerState.GONE, T0)
    assert decision.action is Action.FINISH
    assert decision.journal is not None and "deleted" in str(decision.journal.failure)


def test_one_clean_copy_at_a_time_per_group() -> None:
    due = [("vm1", "web"), ("vm2", "WEB"), ("vm3", None), ("vm4", "api"), ("vm5", None)]
    assert cc.clean_copies_to_begin(due, [("vm0", "api")]) == ("vm1", "vm3", "vm5")


@dataclass
class _Vm:
    """A VM that moves through transitional states as Azure's would, one look at a time."""

    state: PowerState
    pending: PowerState | None = None

    def look(self) -> PowerState:
        seen = self.state
        if self.pending is not None:
            self.state, self.pending = self.pending, None
        return seen

    def act(self, action: Action) -> None:
        if action is Action.STOP and self.state is PowerState.RUNNING:
            self.state, self.pending = PowerState.STOPPING, PowerState.STOPPED
        elif action is Action.START and self.state in {PowerState.STOPPED, PowerState.DEALLOCATED}:
            self.state, self.pending = PowerState.STARTING, PowerState.RUNNING


@settings(max_examples=300)
@given(
    st.sampled_from([PowerState.RUNNING, PowerState.STOPPED, PowerState.DEALLOCATED]),
    st.lists(st.sampled_from(["crash_before_journal", "crash_before_action", "ok"]), max_size=40),
)
def test_crashes_at_any_point_never_leave_a_vm_stopped_that_lifeboat_stopped(
    initial: PowerState, faults: list[str]
) -> None:
    vm = _Vm(initial)
    journal: cc.CleanCopyJournal | None = None
    now = T0
    outcomes = iter([*faults, *["ok"] * 40])
    for _ in range(80):
        now += timedelta(seconds=30)
        observed = vm.look()
        if journal is None:
            decision = cc.begin(VM, "set1", observed, StopMethod.POWER_OFF, now)
        else:
            decision = cc.resume(journal, observed, now)
        if decision.action is Action.FINISH and decision.journal is None:
            break
        fault = next(outcomes)
        if fault == "crash_before_journal":
            continue  # nothing recorded, nothing done
        if decision.journal is not None:
            journal = decision.journal
        if fault == "crash_before_action":
            continue
        if decision.action is Action.SNAPSHOT and journal is not None:
            journal = cc.snapshots_taken(journal, now)
        else:
            vm.act(decision.action)
        if decision.action is Action.FINISH:
            break
    else:
        pytest.fail("the clean copy never finished")
    settled = vm.look() if vm.pending else vm.state
    if initial is PowerState.RUNNING:
        assert settled is PowerState.RUNNING
    else:
        assert settled is initial  # the customer's stopped VM stays stopped
