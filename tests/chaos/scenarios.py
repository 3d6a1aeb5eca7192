"""The chaos scenarios: one per job kind and mutating route; the suite runs each under every fault.

A scenario says how to put the world in place (`prepare`, not under test), how to start the
work through a real entry point (`start`: one HTTP request or one Event Grid delivery; it is
what the suite repeats, runs concurrently and kills), and what the end state must be (`check`,
plus `jobs`: the jobs by kind that must exist, each succeeded). Driving to completion is the
same for all: the local job driver runs the real `run_job` until the queue is idle. A new job
kind adds a scenario to SCENARIOS with a few lines.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import azure.functions as func
import pytest

from functions.images import images_replicate
from functions.resource_events import on_resource_event
from functions.templates import templates_backup, templates_restore
from functions.vms import vms_protect
from tests.event_samples import http_post
from tests.plugins.chaos import tally
from tests.support import images, templates
from tests.support import vms as vm_support

if TYPE_CHECKING:
    from devtools.local_driver import LocalDriver
    from tests.chaos.wire import ChaosTransport, Write
    from tests.plugins.arm import LifeboatEnv

PRIMARY, DR = "eastus", "westus"
DR_TYPES = images.DR_TYPES
# Staging resources live in the primary region inside the DR group; the shared staging gallery
# may stay (empty), anything below it or beside it is an orphan once the jobs are done.
STAGING_TYPES = DR_TYPES[1:]


@dataclass
class Stage:
    """One run of a scenario: the local Azure, the chaos wire, the driver, and scenario notes."""

    env: LifeboatEnv
    wire: ChaosTransport
    driver: LocalDriver
    notes: dict[str, Any] = field(default_factory=dict)
    # What each HTTP start answered (None for an event delivered); "raised" for an exception.
    answers: list[int | str | None] = field(default_factory=list)

    @property
    def arm(self) -> Any:
        """The ARM emulator."""
        return self.env.arm


Start = Callable[[Stage], int | None]


@dataclass(frozen=True)
class Scenario:
    """How to start one piece of work, and what must be true once it is done."""

    name: str
    prepare: Callable[[Stage], None]
    start: Start
    check: Callable[[Stage], None]
    jobs: Mapping[str, int] = field(default_factory=dict)
    # Which writes of a clean run are kill points (all, unless another scenario covers them).
    kills: Callable[[Write], bool] = lambda write: True

    def __str__(self) -> str:
        return self.name


# ---- starts: one trigger invocation through the real entry points --------------------------
def post(
    function: Callable[[func.HttpRequest], func.HttpResponse], route: str
) -> Callable[[Callable[[Stage], Any]], Start]:
    """A start that POSTs `body(stage)` to the HTTP function and returns the status."""

    def make(body: Callable[[Stage], Any]) -> Start:
        def start(stage: Stage) -> int:
            try:
                response = function(http_post(json.dumps(body(stage)).encode(), route))
            except Exception:
                # The host would answer 500 for an exception out of an HTTP function.
                tally("unhandled")
                stage.answers.append("raised")
                raise
            return response.status_code

        return start

    return make


def event(raw: Callable[[Stage], func.EventGridEvent]) -> Start:
    """A start that delivers one Event Grid event (None: accepted; raising: redeliver)."""

    def start(stage: Stage) -> None:
        on_resource_event(raw(stage))

    return start


replicate = post(images_replicate, "images/replicate")
backup = post(templates_backup, "templates/backup")
restore = post(templates_restore, "templates/restore")


# ---- image DR ------------------------------------------------------------------------------
def _build(kinds: tuple[str, ...]) -> Callable[[Stage], None]:
    def prepare(stage: Stage) -> None:
        stage.arm.seed(images.estate(images.template("web", kinds)))
        images.start_run(stage.env, "web")

    return prepare


def _built(kinds: tuple[str, ...]) -> Callable[[Stage], None]:
    """The build is over (its outputs exist) before the scenario starts."""

    def prepare(stage: Stage) -> None:
        _build(kinds)(stage)
        stage.arm.clock.advance(3600)
        ib = stage.env.clients.image_builder(images.SUB).virtual_machine_image_templates
        stage.notes["vhd"] = ib.get_run_output("images", "web", "web-vhd").properties.artifact_uri \
            if "VHD" in kinds else None  # fmt: skip
        versions = images.resources(
            stage.arm, "Microsoft.Compute/galleries/images/versions", images.GALLERY
        )
        stage.notes["version"] = versions[0]["id"] if versions else None

    return prepare


def inventory(stage: Stage) -> Counter[str]:
    """What exists in the DR resource group, as `type@region` counts."""
    found = ((t, r) for t in DR_TYPES for r in images.resources(stage.arm, t, images.DR_RG))
    return Counter(f"{t}@{r['location']}" for t, r in found)


def vhd_copies(stage: Stage) -> int:
    """How many blobs the DR account's VHD container holds."""
    env = stage.env
    container = env.clients.blob_service("dr").get_container_client(env.settings.vhd_container)
    return len(list(container.list_blobs())) if container.exists() else 0


# Per artifact kind: the DR resources one protected artifact leaves (region DR unless noted).
DR_COPIES: dict[str, Counter[str]] = {
    "SharedImage": Counter(
        {
            f"Microsoft.Compute/galleries@{DR}": 1,
            f"Microsoft.Compute/galleries/images@{DR}": 1,
            f"Microsoft.Compute/galleries/images/versions@{DR}": 1,
        }
    ),
    "ManagedImage": Counter(
        {f"Microsoft.Compute/images@{DR}": 1, f"Microsoft.Compute/snapshots@{DR}": 1}
    ),
    "VHD": Counter(),
}


def dr_copies(kinds: tuple[str, ...]) -> Callable[[Stage], None]:
    """The check of image scenarios: one DR copy per artifact, nothing duplicated or orphaned."""

    def check(stage: Stage) -> None:
        found = inventory(stage)
        expected = sum((DR_COPIES[k] for k in kinds), Counter())
        in_dr = Counter({k: v for k, v in found.items() if k.endswith(f"@{DR}")})
        assert in_dr == expected, f"DR copies: {dict(in_dr)} (expected {dict(expected)})"
        orphans = {k: v for k, v in found.items() if k.split("@")[0] in STAGING_TYPES and not
                   k.endswith(f"@{DR}")}  # fmt: skip
        assert not orphans, f"orphaned staging resources: {orphans}"
        assert vhd_copies(stage) == ("VHD" in kinds), "one DR copy of the VHD, or none"

    return check


ALL = images.ALL_KINDS


def _image_jobs(replications: int, builds: int = 0) -> dict[str, int]:
    jobs = {"image_replication": replications}
    return {**jobs, "image_build": builds} if builds else jobs


def _template(stage: Stage) -> str:
    return str(images.template_id("web"))


# ---- template DR ---------------------------------------------------------------------------
# One stored version, one Lifeboat.Template.BackedUp job, however often or concurrently the
# backup runs and wherever a worker dies.
_BACKED_UP_EVENT: Mapping[str, int] = {"lifeboat_events": 1}


def _template_exists(stage: Stage) -> None:
    tid = templates.template_id()
    templates.create_template(tid)
    stage.notes["template"] = str(tid)


def _backed_up(stage: Stage) -> None:
    _template_exists(stage)
    backup(lambda s: {"templateId": s.notes["template"]})(stage)


def one_backup(stage: Stage) -> None:
    """One version and one pointer, and the pointer names that version."""
    blobs = templates.dr_blobs()
    (version,) = templates.versions(blobs)
    pointer = templates.pointer(blobs)
    assert len(blobs) == 2, f"backup blobs: {sorted(blobs)}"
    assert version.rsplit("/", 1)[-1].startswith(pointer.metadata["contenthash"]), "pointer"


def one_restored_template(stage: Stage) -> None:
    """The template exists once in the DR group, in the DR region; nothing else was written."""
    restored = images.resources(
        stage.arm,
        "Microsoft.VirtualMachineImages/imageTemplates",
        f"/subscriptions/{templates.subscription()}/resourceGroups/{templates.DR_RESOURCE_GROUP}",
    )
    assert [r["location"] for r in restored] == [DR], f"restored templates: {restored}"
    one_backup(stage)


# ---- VM protection -------------------------------------------------------------------------
protect = post(vms_protect, "vms/protect")


def _tagged_vm(mode: str, data_disks: int) -> Callable[[Stage], None]:
    """A running VM opted in with `mode`, its disks present."""

    def prepare(stage: Stage) -> None:
        stage.arm.seed({"resources": [vm_support.tagged_vm("web1", mode, data_disks)]})
        stage.notes["vm"] = vm_support.vm_id("web1")

    return prepare


def one_disk_set(disks: int) -> Callable[[Stage], None]:
    """The check of VM scenarios: one set of `disks` DR copies and one source snapshot per disk,
    the manifest naming that set, and the VM running (a clean copy never leaves it stopped)."""

    def check(stage: Stage) -> None:
        vm_support.check_one_set(stage.arm, stage.notes["vm"], disks)

    return check


# Restore-point mode is a preview behind LIFEBOAT_VMS_RESTORE_POINT_COPY: the scenario turns it on
# (undone by its check) and rebuilds the composition, as a redeployed app with the setting would.
_RP_ENV = pytest.MonkeyPatch()


def _tagged_rp_vm(stage: Stage) -> None:
    from shared import bootstrap

    _RP_ENV.setenv("LIFEBOAT_VMS_RESTORE_POINT_COPY", "true")
    bootstrap.configure(clock=stage.arm.clock.now, storage_delays=False)
    _tagged_vm("restore-point", data_disks=1)(stage)


def one_restore_point_set(disks: int) -> Callable[[Stage], None]:
    """The check of the restore-point scenario: one collection per region, one restore point in
    each (the DR one copied from the local one), no snapshot, the manifest naming that set with
    a DR disk restore point per disk, and the VM running."""

    def check(stage: Stage) -> None:
        try:
            vm_support.check_one_restore_point_set(stage.arm, stage.notes["vm"], disks)
        finally:
            _RP_ENV.undo()

    return check


# ---- DR plan execution ---------------------------------------------------------------------
def _plan(stage: Stage) -> Any:
    from tests.support.recovery import plan_for

    return plan_for(["web1"], data_disks=1)


def _dr_seeded(stage: Stage) -> None:
    from tests.support.recovery import seed_dr

    seed_dr(stage.arm, ["web1"], data_disks=1)
    stage.arm.faults.region_down(PRIMARY)  # the outage: execution never needs the primary


def _execute_plan(stage: Stage) -> None:
    """The interface the outage and drill routes call once a plan is approved."""
    from shared.bootstrap import get_deps
    from shared.outages.run import submit_execution
    from tests.support.recovery import ALERT

    submit_execution(get_deps(), _plan(stage), revision=1, alert_received_at=ALERT)


def one_recovered_vm(stage: Stage) -> None:
    """One VM in the DR group attaching its two recovered disks and its NIC; nothing else."""
    from tests.support.recovery import resources_in, vms_in

    (vm,) = vms_in(stage.arm)
    disks = resources_in(stage.arm, "Microsoft.Compute/disks")
    nics = resources_in(stage.arm, "Microsoft.Network/networkInterfaces")
    assert len(disks) == 2 and len(nics) == 1, f"disks {len(disks)}, nics {len(nics)}"
    assert {d.get("managedBy", "").lower() for d in disks} == {vm["id"].lower()}
    assert vm["properties"]["provisioningState"] == "Succeeded"


SCENARIOS: tuple[Scenario, ...] = (
    # The artifact scenarios below kill every replication write; a build adds its own record
    # and its submissions (Table and queue), so only those are its kill points.
    Scenario(
        "build-event",
        _build(ALL),
        event(lambda s: images.grid_event(images.build_event("web"))),
        dr_copies(ALL),
        _image_jobs(3, builds=1),
        kills=lambda w: w.service in ("table", "queue") or "/builds/" in w.path,
    ),
    Scenario(
        "build-http",
        _built(ALL),
        replicate(lambda s: {"templateId": _template(s)}),
        dr_copies(ALL),
        _image_jobs(3, builds=1),
        kills=lambda w: w.scope == "start",
    ),
    Scenario(
        "gallery-version-http",
        _built(("SharedImage",)),
        replicate(lambda s: {"artifactId": s.notes["version"]}),
        dr_copies(("SharedImage",)),
        _image_jobs(1),
    ),
    Scenario(
        "managed-image-http",
        _built(("ManagedImage",)),
        replicate(lambda s: {"artifactId": f"{images.COMPUTE}/images/web-managed"}),
        dr_copies(("ManagedImage",)),
        _image_jobs(1),
    ),
    Scenario(
        "vhd-http",
        _built(("VHD",)),
        replicate(lambda s: {"artifactId": s.notes["vhd"]}),
        dr_copies(("VHD",)),
        _image_jobs(1),
    ),
    Scenario(
        "template-backup-http",
        _template_exists,
        backup(lambda s: {"templateId": s.notes["template"]}),
        one_backup,
        _BACKED_UP_EVENT,
    ),
    Scenario(
        "template-backup-event",
        _template_exists,
        event(lambda s: templates.template_event(templates.template_id(), "write")),
        one_backup,
        _BACKED_UP_EVENT,
    ),
    Scenario(
        "template-backup-all-http",
        _template_exists,
        backup(lambda s: {"all": True}),
        one_backup,
        {"template_backup_all": 1, **_BACKED_UP_EVENT},
    ),
    Scenario(
        "template-restore-http",
        _backed_up,
        restore(lambda s: {"templateId": s.notes["template"]}),
        one_restored_template,
        {"template_restore": 1, **_BACKED_UP_EVENT},
    ),
    # VM protection: every write of a snapshot-mode set (two disks) and of a clean copy (stop,
    # snapshot, start), so a worker dies between the VM's stop and its start too.
    Scenario(
        "vm-protect-snapshot-http",
        _tagged_vm("snapshot", data_disks=1),
        protect(lambda s: {"vmId": s.notes["vm"]}),
        one_disk_set(2),
        {"vm_protection": 1},
    ),
    Scenario(
        "vm-protect-clean-http",
        _tagged_vm("clean", data_disks=1),
        protect(lambda s: {"vmId": s.notes["vm"]}),
        one_disk_set(2),
        {"vm_protection": 1},
    ),
    Scenario(
        "vm-protect-restore-point-http",
        _tagged_rp_vm,
        protect(lambda s: {"vmId": s.notes["vm"]}),
        one_restore_point_set(2),
        {"vm_protection": 1},
    ),
    Scenario(
        "plan-execution",
        _dr_seeded,
        _execute_plan,
        one_recovered_vm,
        {"plan_execution": 1},
        # Only ARM writes and the execution's own records: the job backbone's Table and
        # queue writes are covered write by write elsewhere.
        kills=lambda w: w.service == "arm" or "executions/" in w.path,
    ),
)
BY_NAME = {s.name: s for s in SCENARIOS}


# ---- drills --------------------------------------------------------------------------------
def _drill_protected(stage: Stage) -> None:
    """Two protected VMs (DR snapshots and manifests with a NIC in DR storage), a configured
    drill vnet and a zero window: the drill runs, validates and cleans up while driven."""
    from tests.support.drills import protect_for_drill

    protect_for_drill(stage.arm, ("web1", "web2"))


def _drill_own_network(stage: Stage) -> None:
    """As `_drill_protected`, without a configured drill vnet: the drill creates its own."""
    from tests.support.drills import protect_for_drill

    protect_for_drill(stage.arm, ("web1", "web2"), own_network=True)


def _drill_start(stage: Stage) -> int:
    from functions.drills import drills_start

    return post(drills_start, "drills")(lambda s: {})(stage)


def drill_cleaned_up(stage: Stage) -> None:
    """The evidence recorded and passed, one drill VM created per protected VM, and nothing the
    drill created left (no VM, NIC or disk named with the drill id)."""
    from tests.support.drills import check_drill_clean, undo_drill_env

    try:
        check_drill_clean(stage.arm, ("web1", "web2"))
    finally:
        undo_drill_env()


SCENARIOS = (
    *SCENARIOS,
    Scenario(
        "drill-http",
        _drill_protected,
        _drill_start,
        drill_cleaned_up,
        {"plan_execution": 1, "drill_run": 1, "drill_cleanup": 1},
        # ARM writes and deletes, the drill's records: the backbone's Table and queue writes
        # are covered elsewhere.
        kills=lambda w: (
            w.service == "arm"
            or any(part in w.path for part in ("drills/", "drill-work/", "executions/"))
        ),
    ),
)
SCENARIOS = (
    *SCENARIOS,
    Scenario(
        "drill-own-network-http",
        _drill_own_network,
        _drill_start,
        drill_cleaned_up,
        {"plan_execution": 1, "drill_run": 1, "drill_cleanup": 1},
        kills=lambda w: w.service == "arm" and "/virtualNetworks/" in w.path,
    ),
)
BY_NAME = {s.name: s for s in SCENARIOS}


# ---- failback on Resolved ------------------------------------------------------------------
# One VM recovered by an executed plan (prepared unscoped: not under test), the primary back.
_FAILBACK_VMS = ("web1",)


def _executed(stage: Stage) -> None:
    from tests.support.failback import executed_for_chaos

    stage.notes["resolved"] = executed_for_chaos(stage.arm, _FAILBACK_VMS)


def _resolved_alert(stage: Stage) -> int:
    from functions.service_health import service_health

    return post(service_health, "service-health")(lambda s: s.notes["resolved"])(stage)


def failback_copied(stage: Stage) -> None:
    """The failback plan awaits approval of its cleanup: one copy per DR disk in the primary
    region's failback group, the DR VM untouched."""
    from shared.outages.approval import PlanState
    from tests.support.failback import PRIMARY as FAILBACK_PRIMARY
    from tests.support.failback import failback_copies, failback_plan, undo_failback_env
    from tests.support.recovery import vms_in

    try:
        stored = failback_plan()
        assert stored.status.state is PlanState.AWAITING_APPROVAL, stored.status
        assert stored.status.copies_complete_at is not None
        copies = failback_copies(stage.arm)
        assert [c["location"] for c in copies] == [FAILBACK_PRIMARY] * 2, copies
        assert len(vms_in(stage.arm)) == len(_FAILBACK_VMS)
    finally:
        undo_failback_env()


def _copied_back(stage: Stage) -> None:
    from tests.support.failback import drive_unscoped, failback_plan

    _executed(stage)
    _resolved_alert(stage)
    drive_unscoped(stage.arm)
    stage.notes["failback"] = failback_plan().plan_id


def _approve_cleanup(stage: Stage) -> int:
    from functions.plans import plans_approve

    plan_id = stage.notes["failback"]
    request = func.HttpRequest(
        "POST",
        f"http://localhost:7071/api/plans/{plan_id}/approve",
        headers={"content-type": "application/json"},
        body=json.dumps({"approvedBy": "ops@x"}).encode(),
        route_params={"plan_id": plan_id},
    )
    return plans_approve(request).status_code


def failback_cleaned_up(stage: Stage) -> None:
    """The failback plan is done and nothing recovery created in the DR region is left."""
    from shared.outages.approval import PlanState
    from tests.support.drills import BILLABLE
    from tests.support.failback import failback_copies, failback_plan, undo_failback_env
    from tests.support.recovery import resources_in

    try:
        stored = failback_plan()
        assert stored.status.state is PlanState.DONE, stored.status
        left = [r["id"] for t in BILLABLE for r in resources_in(stage.arm, t)]
        assert left == [], left
        assert len(failback_copies(stage.arm)) == 2
    finally:
        undo_failback_env()


_FAILBACK_JOBS = {"plan_execution": 1, "plan_failback": 1, "vm_protection": len(_FAILBACK_VMS)}
SCENARIOS = (
    *SCENARIOS,
    Scenario(
        "failback-resolved-http",
        _executed,
        _resolved_alert,
        failback_copied,
        {**_FAILBACK_JOBS, "lifeboat_events": 3},
        # ARM writes (snapshots, copies back) and blobs (the failback plan): the backbone's
        # Table and queue writes are covered elsewhere.
        kills=lambda w: w.service in ("arm", "blob"),
    ),
    Scenario(
        "failback-cleanup-http",
        _copied_back,
        _approve_cleanup,
        failback_cleaned_up,
        {**_FAILBACK_JOBS, "failback_cleanup": 1, "lifeboat_events": 4},
        kills=lambda w: w.service in ("arm", "blob"),
    ),
)
BY_NAME = {s.name: s for s in SCENARIOS}
