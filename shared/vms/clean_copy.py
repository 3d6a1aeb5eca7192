"""The clean-copy journal: stop → snapshot every disk → start, resumable after a crash anywhere.

The journal is written *before* each action (write-ahead), so after a crash the last recorded
step plus the VM's observed power state say what to do next. Two promises hold whatever
happens: a VM Lifeboat stopped is started again, and a VM the customer had stopped is never
started by Lifeboat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from shared.vms.facts import SecurityProfile
from shared.vms.findings import Finding, FindingCode

DEFAULT_STEP_TIMEOUT = timedelta(minutes=30)


class PowerState(StrEnum):
    """A VM's power state (instance view `PowerState/<state>`), plus GONE for a deleted VM."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    DEALLOCATING = "deallocating"
    DEALLOCATED = "deallocated"
    UNKNOWN = "unknown"
    GONE = "gone"


_AT_REST = frozenset({PowerState.STOPPED, PowerState.DEALLOCATED})
_UP = frozenset({PowerState.RUNNING, PowerState.STARTING})


def power_state_from_code(code: str | None) -> PowerState:
    """Return the state of an instance-view code such as `PowerState/running` (else UNKNOWN)."""
    prefix, _, state = (code or "").partition("/")
    if prefix.lower() != "powerstate":
        return PowerState.UNKNOWN
    try:
        return PowerState(state.lower())
    except ValueError:
        return PowerState.UNKNOWN


class StopMethod(StrEnum):
    """How Lifeboat stops a VM for a clean copy."""

    POWER_OFF = "powerOff"  # graceful shutdown, VM stays allocated
    DEALLOCATE = "deallocate"  # graceful shutdown, host released


def stop_method(security: SecurityProfile, prefer_deallocate: bool = False) -> StopMethod:
    """Return how to stop a VM for a clean copy: power-off unless deallocation is preferred.

    Deallocation resets the vTPM of Trusted Launch and Confidential VMs (BitLocker and VBS keys
    are re-created), so those are always powered off. Power-off is also the default for every
    other VM: a deallocated VM may not get capacity back on start (AllocationFailed), and a
    clean copy stops the VM for minutes, not long enough for deallocation's billing to matter.
    """
    if prefer_deallocate and not security.keeps_vtpm_state:
        return StopMethod.DEALLOCATE
    return StopMethod.POWER_OFF


class JournalStep(StrEnum):
    """The last sub-step a clean copy recorded (written before the action it names)."""

    STOPPING = "stopping"  # Lifeboat asked the VM to stop
    SNAPSHOTTING = "snapshotting"  # the VM is at rest; snapshots of every disk are being taken
    SNAPSHOTS_TAKEN = "snapshots-taken"  # every snapshot was created
    STARTING = "starting"  # Lifeboat asked the VM to start
    DONE = "done"


class Action(StrEnum):
    """What the executor does next for one clean copy."""

    STOP = "stop"
    SNAPSHOT = "snapshot"
    START = "start"
    WAIT = "wait"
    FINISH = "finish"


@dataclass(frozen=True)
class CleanCopyJournal:
    """The durable record of one VM's clean copy.

    `stopped_by_lifeboat` is True only when Lifeboat found the VM running and stopped it.
    `failure` is set when the set cannot be clean (the VM was started mid-copy, it was deleted,
    a step timed out): the copy then ends without a usable set, but the VM is still restarted
    when Lifeboat stopped it.
    """

    vm_id: str
    set_id: str
    step: JournalStep
    stopped_by_lifeboat: bool
    method: StopMethod
    recorded_at: datetime
    failure: str | None = None


@dataclass(frozen=True)
class Decision:
    """The next action, and the journal to write before taking it (None: leave it as is)."""

    action: Action
    journal: CleanCopyJournal | None
    finding: Finding | None = None


def begin(
    vm_id: str, set_id: str, observed: PowerState, method: StopMethod, now: datetime
) -> Decision:
    """Return the first action of a clean copy for a VM with no journal yet.

    A running VM is stopped by Lifeboat; a VM already at rest (stopped by its owner) is
    snapshotted as it is and left at rest; a VM in transition is looked at again later.
    """
    if observed is PowerState.RUNNING:
        journal = CleanCopyJournal(vm_id, set_id, JournalStep.STOPPING, True, method, now)
        return Decision(Action.STOP, journal)
    if observed in _AT_REST:
        journal = CleanCopyJournal(vm_id, set_id, JournalStep.SNAPSHOTTING, False, method, now)
        return Decision(Action.SNAPSHOT, journal)
    if observed is PowerState.GONE:
        return Decision(Action.FINISH, None)
    return Decision(Action.WAIT, None)


def _record(journal: CleanCopyJournal, step: JournalStep, now: datetime) -> CleanCopyJournal:
    return replace(journal, step=step, recorded_at=now)


def _done(journal: CleanCopyJournal, now: datetime, failure: str | None = None) -> Decision:
    ended = replace(journal, step=JournalStep.DONE, recorded_at=now)
    if failure is not None:
        ended = replace(ended, failure=failure)
    return Decision(Action.FINISH, ended)


def fail(journal: CleanCopyJournal, reason: str, now: datetime) -> Decision:
    """Return how to end a clean copy that cannot produce a set: start the VM again if Lifeboat
    stopped it, else finish with the failure recorded."""
    failed = replace(journal, failure=journal.failure or reason)
    if failed.stopped_by_lifeboat:
        return Decision(Action.START, _record(failed, JournalStep.STARTING, now))
    return _done(failed, now, failed.failure)


def _stopping(journal: CleanCopyJournal, observed: PowerState, now: datetime) -> Decision:
    if observed is PowerState.RUNNING:  # the stop may never have been sent: stopping is idempotent
        return Decision(Action.STOP, None)
    if observed in _AT_REST:
        return Decision(Action.SNAPSHOT, _record(journal, JournalStep.SNAPSHOTTING, now))
    return Decision(Action.WAIT, None)


def _snapshotting(journal: CleanCopyJournal, observed: PowerState, now: datetime) -> Decision:
    if observed in _AT_REST:  # snapshot names are deterministic: taking them again is safe
        return Decision(Action.SNAPSHOT, None)
    if observed in _UP:
        why = "the VM was started while its disks were being captured: the set is not clean"
        finding = Finding(FindingCode.STARTED_DURING_CLEAN_COPY, journal.vm_id, why)
        ended = _done(journal, now, why)
        return Decision(ended.action, ended.journal, finding)
    return Decision(Action.WAIT, None)


def _after_snapshots(journal: CleanCopyJournal, observed: PowerState, now: datetime) -> Decision:
    if not journal.stopped_by_lifeboat or observed in _UP:
        return _done(journal, now, journal.failure)
    if observed in _AT_REST:
        return Decision(Action.START, _record(journal, JournalStep.STARTING, now))
    return Decision(Action.WAIT, None)


def _starting(journal: CleanCopyJournal, observed: PowerState, now: datetime) -> Decision:
    if observed is PowerState.RUNNING:
        return _done(journal, now, journal.failure)
    if observed in _AT_REST:  # the start may never have been sent: starting is idempotent
        return Decision(Action.START, None)
    return Decision(Action.WAIT, None)


_HANDLERS = {
    JournalStep.STOPPING: _stopping,
    JournalStep.SNAPSHOTTING: _snapshotting,
    JournalStep.SNAPSHOTS_TAKEN: _after_snapshots,
    JournalStep.STARTING: _starting,
}


def resume(
    journal: CleanCopyJournal,
    observed: PowerState,
    now: datetime,
    timeout: timedelta = DEFAULT_STEP_TIMEOUT,
) -> Decision:
    """Return the next action given the journal's last step and the VM's observed power state.

    A deleted VM ends the copy. A step that waits longer than `timeout` (a VM that never
    stops) ends the copy as failed, restarting the VM if Lifeboat stopped it. Starting never
    times out: Lifeboat keeps starting a VM it stopped until it runs.
    """
    if journal.step is JournalStep.DONE:
        return Decision(Action.FINISH, None)
    if observed is PowerState.GONE:
        return _done(journal, now, journal.failure or "the VM was deleted during the clean copy")
    decision = _HANDLERS[journal.step](journal, observed, now)
    stuck = decision.action in {Action.WAIT, Action.STOP} and journal.step is not (
        JournalStep.STARTING
    )
    if stuck and now - journal.recorded_at > timeout:
        return fail(journal, f"step {journal.step} took longer than {timeout}", now)
    return decision


def snapshots_taken(journal: CleanCopyJournal, now: datetime) -> CleanCopyJournal:
    """Return the journal to write once every snapshot of the set was created."""
    return _record(journal, JournalStep.SNAPSHOTS_TAKEN, now)


def clean_copies_to_begin(
    due: Sequence[tuple[str, str | None]], active: Iterable[tuple[str, str | None]]
) -> tuple[str, ...]:
    """Return the VM ids whose clean copy may begin now: one VM at a time per group.

    `due` and `active` hold (VM id, group) pairs; `due` in priority order. A VM without a
    group is a group of its own.
    """
    busy = {_group(vm, group) for vm, group in active}
    chosen: list[str] = []
    for vm, group in due:
        key = _group(vm, group)
        if key not in busy:
            busy.add(key)
            chosen.append(vm)
    return tuple(chosen)


def _group(vm_id: str, group: str | None) -> str:
    return f"group:{group.lower()}" if group else f"vm:{vm_id.lower()}"
