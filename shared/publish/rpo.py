"""RPO transitions (reconcile sweep): achieved vs target RPO per protected VM, each transition
published once as Lifeboat.Protection.RpoBreached / .RpoRecovered.

The last state of every VM is kept in DR storage (`events/rpo-state.json`). A transition is
handed to a small `lifeboat_events` job whose key names the transition (VM, direction, the set it
is about), so a sweep that dies before writing the state submits the same job again: one event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.jobs.registry import Registry, StepContext, StepResult
from shared.publish.events import Event, rpo_changed

if TYPE_CHECKING:
    from shared.bootstrap import Deps

EVENTS_KIND = "lifeboat_events"
STATE = "events/rpo-state.json"
BREACHED = "breached"
OK = "ok"


def _emit(ctx: StepContext) -> StepResult:
    """Emit the job's events (the outbox publishes them after this step's write)."""
    for event in ctx.data.get("events") or ():
        ctx.emit(event["type"], event["subject"], event["data"], fact=event.get("fact"))
    return StepResult.done()


def register(registry: Registry) -> None:
    """Declare the `lifeboat_events` job kind (shared.features.JOB_KINDS points here)."""
    registry.register(
        EVENTS_KIND, (("emit", _emit),), "Publishes events a sweep found (RPO transitions)."
    )


def submit_events(deps: Deps, key: str, events: Sequence[Event]) -> str:
    """Submit (idempotently, by `key`) a job publishing `events`; return its job id.

    Each event's id is derived from `key`, so resubmitting the same transition is one event.
    """
    body = [
        {"type": e.type, "subject": e.subject, "data": dict(e.data), "fact": key} for e in events
    ]
    return deps.jobs.submit(EVENTS_KIND, key, {"events": body}).job.id


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse(text: Any) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None


def _newest_sets(deps: Deps) -> dict[str, datetime]:
    from shared.vms.records import list_sets

    newest: dict[str, datetime] = {}
    for summary in list_sets(deps.records):
        newest[summary.vm_id.lower()] = summary.captured_at
    return newest


def assess(
    protected: Sequence[Mapping[str, Any]],
    newest: Mapping[str, datetime],
    previous: Mapping[str, Mapping[str, Any]],
    now: datetime,
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, Event]]]:
    """Return every protected VM's new state and the transitions (job key, event) to publish.

    A VM is breached when its newest complete set is older than its RPO, or when it has none
    and was first seen longer than its RPO ago; a VM seen for the first time is never a
    transition unless it is already breached.
    """
    states: dict[str, dict[str, Any]] = {}
    transitions: list[tuple[str, Event]] = []
    for vm in protected:
        vm_id = str(vm["vm_id"])
        key = vm_id.lower()
        rpo = float(vm["rpo_seconds"])
        before = previous.get(key) or {}
        first_seen = _parse(before.get("first_seen")) or now
        last = newest.get(key)
        reference = last or first_seen
        state = BREACHED if now - reference > timedelta(seconds=rpo) else OK
        states[key] = {
            "vm_id": vm_id,
            "state": state,
            "first_seen": _iso(first_seen),
            "last_complete": _iso(last),
            "since": before.get("since") if before.get("state") == state else _iso(now),
        }
        if state == str(before.get("state") or OK):
            continue
        event = rpo_changed(
            vm_id,
            breached=state == BREACHED,
            target_rpo_seconds=rpo,
            last_complete_at=last,
            observed_at=now,
        )
        transitions.append((f"{key}|{state}|{_iso(last) or 'none'}", event))
    return states, transitions


def sweep_rpo(deps: Deps, now: datetime) -> dict[str, Any]:
    """Compare achieved and target RPO of every protected VM; publish each transition once."""
    from shared.vms.records import read_inventory

    inventory = read_inventory(deps.records) or {}
    protected = inventory.get("protected") or []
    stored = deps.records.get(STATE) or {}
    previous = stored.get("vms") or {}
    states, transitions = assess(protected, _newest_sets(deps), previous, now)
    jobs = [submit_events(deps, key, [event]) for key, event in transitions]
    deps.records.put(STATE, {"vms": states, "updated": now.isoformat()}, {"kind": "rpo-state"})
    breached = sorted(s["vm_id"] for s in states.values() if s["state"] == BREACHED)
    return {"vms": len(states), "breached": breached, "transitions": len(transitions), "jobs": jobs}
