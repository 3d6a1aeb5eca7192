"""Starting a drill: scope → drill plan → drill network → plan execution → follow-up.

`start_drill` builds the drill plan with the pure planner from DR-region data only, refuses
(409) while a real outage plan executes, ensures the drill network, submits the plan's
execution and the `drill_run` job that waits for the execution to finish before it submits the
drill's follow-up (`drill_cleanup`). `dry_run=True` builds and returns the plan, writing nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.drills.jobs import RUN_KIND
from shared.drills.network import NetworkChoice, NetworkPlan, ensure_network, plan_network
from shared.engine.names import dr_resource_group
from shared.engine.placement import ensure_dr_group
from shared.errors import InvalidInput
from shared.outages.approval import check_drill_allowed
from shared.outages.dr_facts import DrRegionFacts, DrSubnet
from shared.outages.errors import DrillRefused
from shared.outages.inventory import ProtectedVm
from shared.outages.matching import Exposure
from shared.outages.names import drill_id
from shared.outages.plan import build_plan
from shared.outages.plan_model import DrPlan
from shared.scope import require_in_scope

if TYPE_CHECKING:
    from shared.bootstrap import Deps

MAX_VM_IDS = 500


@dataclass(frozen=True)
class DrillScope:
    """Which protected VMs a drill recovers: all, those with one tag value, or listed ids."""

    kind: str  # "all" | "tag" | "vms"
    tag: tuple[str, str] | None = None
    vm_ids: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The plan's scope: `all`, `tag:k=v`, or `vms:<digest of the sorted ids>`."""
        if self.kind == "tag" and self.tag:
            return f"tag:{self.tag[0]}={self.tag[1]}"
        if self.kind == "vms":
            ids = ",".join(sorted(i.lower() for i in self.vm_ids))
            return "vms:" + hashlib.sha256(ids.encode()).hexdigest()[:12]
        return "all"


def parse_scope(body: Mapping[str, Any], subscriptions: tuple[str, ...]) -> DrillScope:
    """Return the scope in a POST /api/drills body; InvalidInput naming the field otherwise.

    No `tag` and no `vmIds`: every protected VM. Listed ids outside LIFEBOAT_SUBSCRIPTIONS
    are refused (400 naming `vmIds`).
    """
    tag, ids = body.get("tag"), body.get("vmIds")
    if tag is not None and ids is not None:
        raise InvalidInput("tag", "give either tag or vmIds, not both")
    if tag is not None:
        if not isinstance(tag, str) or "=" not in tag or len(tag) > 512:
            raise InvalidInput("tag", "expected 'name=value'")
        key, _, value = tag.partition("=")
        if not key.strip() or not value.strip():
            raise InvalidInput("tag", "expected 'name=value' with both parts non-empty")
        return DrillScope("tag", tag=(key.strip(), value.strip()))
    if ids is not None:
        if not isinstance(ids, list) or not ids or len(ids) > MAX_VM_IDS:
            raise InvalidInput("vmIds", f"expected a list of 1-{MAX_VM_IDS} VM resource ids")
        out = []
        for i, raw in enumerate(ids):
            if not isinstance(raw, str):
                raise InvalidInput(f"vmIds[{i}]", "expected a VM resource id")
            rid = ResourceId.parse(raw, f"vmIds[{i}]")
            if not rid.is_type("Microsoft.Compute/virtualMachines"):
                raise InvalidInput(f"vmIds[{i}]", "not a virtual machine id")
            require_in_scope(rid, subscriptions, "vmIds")
            out.append(str(rid))
        return DrillScope("vms", vm_ids=tuple(out))
    return DrillScope("all")


def _select(deps: Deps, scope: DrillScope) -> tuple[ProtectedVm, ...]:
    from shared.outages.protected import load_estate

    vms = load_estate(deps).vms
    if scope.kind == "tag" and scope.tag:
        key, value = scope.tag
        chosen = tuple(
            v
            for v in vms
            if any(k.lower() == key.lower() and str(t) == value for k, t in v.tags.items())
        )
    elif scope.kind == "vms":
        by_id = {v.vm_id.lower(): v for v in vms}
        missing = [i for i in scope.vm_ids if i.lower() not in by_id]
        if missing:
            raise InvalidInput("vmIds", f"not protected (no recovery manifest): {missing[0]}")
        chosen = tuple(by_id[i.lower()] for i in scope.vm_ids)
    else:
        chosen = vms
    chosen = tuple(v for v in chosen if v.newest_complete is not None)
    if not chosen:
        raise InvalidInput("scope", "no protected VM with a complete recovery point is in scope")
    return chosen


def _one(values: set[str], what: str) -> str:
    if len(values) != 1:
        raise InvalidInput("scope", f"spans {what} {', '.join(sorted(values))}; drill each alone")
    return values.pop()


@dataclass(frozen=True)
class DrillStart:
    """What starting a drill made (or, dry run, would make)."""

    plan: DrPlan
    network: NetworkPlan
    started_at: datetime
    execution_job_id: str | None = None
    run_job_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The answer of POST /api/drills."""
        out: dict[str, Any] = {
            "drillId": self.plan.drill_id,
            "planId": self.plan.plan_id,
            "scope": self.plan.scope,
            "startedAt": self.started_at.isoformat(),
            "network": {
                "id": self.network.network_id,
                "createdByDrill": self.network.created_by_drill,
            },
            "statusUrl": f"/api/drills/{self.plan.plan_id}",
        }
        if self.execution_job_id:
            out["executionJobId"] = self.execution_job_id
        if self.run_job_id:
            out["jobId"] = self.run_job_id
        return out


def check_allowed(deps: Deps) -> None:
    """Raise DrillRefused (409) while a real outage plan is executing."""
    from shared.outages.run import running_executions

    check_drill_allowed(p.status for p in deps.plans.list())
    for view in running_executions(deps):
        if view.plan_kind == "outage":
            raise DrillRefused(view.plan_id, "a real outage plan is executing; drills wait")


JOIN_MINUTES = 15
"""A drill request joins the same scope's drill started this many minutes before, if any."""


def _drill_key(deps: Deps, label: str, moment: datetime) -> str:
    return drill_id(label, moment.replace(second=0, microsecond=0).isoformat())


def _joined_key(deps: Deps, label: str, now: datetime) -> str:
    """The id of the scope's drill started in the last JOIN_MINUTES (newest first, unless its
    run failed), else a new id for this minute. At most JOIN_MINUTES + 1 point reads."""
    from datetime import timedelta

    from shared.jobs.model import JobState, job_id_for

    for back in range(JOIN_MINUTES + 1):
        key = _drill_key(deps, label, now - timedelta(minutes=back))
        job = deps.jobs.get(job_id_for(RUN_KIND, key))
        if job is not None and job.state is not JobState.FAILED:
            return key
    return _drill_key(deps, label, now)


def plan_drill(
    deps: Deps, scope: DrillScope, now: datetime, at: datetime | None = None
) -> tuple[DrPlan, NetworkPlan]:
    """Return the drill plan and its network (pure apart from DR-region reads).

    The drill id derives from the scope and `at` (default `now`) to the minute.
    """
    from shared.outages.ingest import plan_settings
    from shared.outages.protected import load_dr_facts

    settings = deps.settings
    vms = _select(deps, scope)
    dr_region = _one({v.newest_complete.dr_region.lower() for v in vms if v.newest_complete}, "DR")
    subscription = _one({ResourceId.parse(v.vm_id, "vm").subscription for v in vms}, "subs")
    # A retried request is the same drill (same id, same plan, same jobs): the id derives from
    # the scope and the minute, and a request joins the scope's drill started in the last
    # JOIN_MINUTES unless that one failed (a schedule slot, `at`, names its own minute).
    key = _drill_key(deps, scope.label, at) if at else _joined_key(deps, scope.label, now)
    group = dr_resource_group(settings, dr_region)
    choice = NetworkChoice(settings.drill_vnet_id, settings.drill_address_space)
    network = plan_network(
        key,
        subscription,
        group,
        dr_region,
        settings.subnet_map,
        choice=choice,
    )
    plan = build_plan(
        f"drill-{key}",
        scope.label,
        Exposure(vms, (), (), (), ()),
        _with_drill_subnets(load_dr_facts(deps, dr_region), network),
        plan_settings(settings, dr_region),
        now=now,
        drill=network.target(group),
    )
    return plan, network


def _with_drill_subnets(facts: DrRegionFacts, network: NetworkPlan) -> DrRegionFacts:
    """The DR facts plus the subnets of a vnet the drill creates: they do not exist yet when
    the plan is made (the vnet is created after it), but they are where its NICs go."""
    if not network.created_by_drill:
        return facts
    vnet = network.network_id
    planned = {
        f"{vnet}/subnets/{name}".lower(): DrSubnet(f"{vnet}/subnets/{name}", prefix)
        for name, prefix in network.subnets.items()
    }
    return replace(facts, subnets={**facts.subnets, **planned})


def _ensure_network_once(deps: Deps, network: NetworkPlan) -> None:
    """Create (or check) the drill network, unless this drill's run was already accepted: a
    request joining a drill whose cleanup deleted its own vnet must not create it again.
    Concurrent first requests of one worker make one PUT (they go one after the other and the
    later ones find the vnet)."""
    from shared.jobs.model import job_id_for

    if deps.jobs.get(job_id_for(RUN_KIND, network.drill_id)) is not None:
        return
    deps.clients.creations.run(
        f"drill-network:{network.network_id}",
        lambda: ensure_network(deps.clients, network),
        lambda _: False,
    )


def start_drill(
    deps: Deps, scope: DrillScope, *, dry_run: bool = False, at: datetime | None = None
) -> DrillStart:
    """Start a drill of `scope` (or, dry run, return its plan); idempotent per drill id.

    Raises DrillRefused (409) while a real outage plan executes, InvalidInput naming the
    field for a bad scope or drill setting; nothing is written before these checks pass.
    """
    from shared.jobs.accepted import accept
    from shared.outages.run import submit_execution

    now = deps.clock()
    check_allowed(deps)
    plan, network = plan_drill(deps, scope, now, at)
    if dry_run:
        return DrillStart(plan, network, now)
    ensure_dr_group(deps.clients, deps.settings, network.network_id)
    _ensure_network_once(deps, network)
    job_id = submit_execution(deps, plan, revision=1, alert_received_at=now)
    data = {
        "planId": plan.plan_id,
        "revision": 1,
        "drillId": plan.drill_id,
        "startedAt": now.isoformat(),
        "networkId": network.network_id,
        "networkCreated": network.created_by_drill,
        "location": network.location,
        "addressSpace": network.address_space,
        "windowSeconds": deps.settings.drill_window_minutes * 60,
        "timeoutSeconds": deps.settings.drill_validation_timeout_minutes * 60,
    }
    run = accept(deps.jobs, RUN_KIND, str(plan.drill_id), data)
    return DrillStart(plan, network, now, job_id, run.job_id)


def network_of(data: Mapping[str, Any]) -> NetworkPlan:
    """The drill network a `drill_run` job's data names (what the follow-up needs of it)."""
    return NetworkPlan(
        str(data["drillId"]),
        str(data["networkId"]),
        bool(data.get("networkCreated")),
        str(data.get("location") or ""),
        str(data.get("addressSpace") or ""),
    )


def window_of(data: Mapping[str, Any]) -> tuple[timedelta, timedelta]:
    """The (validation window, validation timeout) a `drill_run` job's data carries."""
    return (
        timedelta(seconds=float(data.get("windowSeconds") or 0)),
        timedelta(seconds=float(data.get("timeoutSeconds") or 900)),
    )


def drill_view(deps: Deps, plan_id: str) -> dict[str, Any]:
    """GET /api/drills/{id}: the drill plan, its execution, its jobs and evidence.

    Raises PlanNotFound (404) when no drill plan with this id was submitted.
    """
    import json

    from shared.drills.evidence import record_name
    from shared.drills.jobs import CLEANUP_KIND
    from shared.jobs.model import job_id_for
    from shared.outages.errors import PlanNotFound
    from shared.outages.recovery_records import latest_revision, load_plan
    from shared.outages.run import execution_view

    found = latest_revision(deps.records, plan_id)
    plan = load_plan(deps.records, plan_id, found[0]) if found else None
    if plan is None or plan.drill_id is None:
        raise PlanNotFound(plan_id, "no such drill")
    view = execution_view(deps, plan_id)
    jobs = {}
    for name, kind in (("run", RUN_KIND), ("followup", CLEANUP_KIND)):
        job = deps.jobs.get(job_id_for(kind, plan.drill_id))
        jobs[name] = (
            None
            if job is None
            else {"jobId": job.id, "state": job.state.value, "statusUrl": f"/api/jobs/{job.id}"}
        )
    return {
        "drillId": plan.drill_id,
        "planId": plan_id,
        "scope": plan.scope,
        "plan": json.loads(plan.to_json()),
        "execution": view.to_dict() if view else None,
        "jobs": jobs,
        "evidence": deps.records.get(record_name(plan.drill_id)),
    }
