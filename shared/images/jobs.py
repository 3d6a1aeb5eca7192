"""Image DR job kinds on the job backbone: `image_build` (per run) and `image_replication`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.engine.steps import azure_step
from shared.jobs.registry import Registry, StepContext, StepResult

if TYPE_CHECKING:
    from shared.engine.established import Established

BUILD_KIND = "image_build"
REPLICATION_KIND = "image_replication"
_PROTECTED_STATES = ("Succeeded", "PartiallySucceeded")


def _await_build(ctx: StepContext) -> StepResult:
    """Read the build; wait while it runs; decide what to protect (or why nothing)."""
    from shared.azure import image_builds
    from shared.images.build_decision import BuildOutcome, decide_build
    from shared.images.records import decision_json, write_build
    from shared.scope import require_in_scope

    template = ResourceId.parse(ctx.data["template_id"], "template_id")
    require_in_scope(template, ctx.settings.subscriptions, "template_id")
    clients = ctx.app.clients
    expected = image_builds.parse_time(ctx.data.get("start_time"))
    seen = ctx.data.get("finished_run")
    # The run read at the event had ended: an ended run does not change (its start time names it).
    if ctx.attempt <= 1 and isinstance(seen, dict):
        run: image_builds.BuildRun | None = image_builds.parse_build(seen)
    else:
        run = image_builds.get_build(clients, template)
    outputs: tuple[image_builds.RunOutput, ...] = ()
    current = run is not None and run.start_time == expected
    if current and run is not None and run.run_state in _PROTECTED_STATES:
        outputs = image_builds.list_run_outputs(clients, template)
    decision = decide_build(run, outputs, ctx.settings, expected)
    data = decision_json(decision)
    if decision.outcome is BuildOutcome.WAIT:
        if ctx.attempt <= 1:
            write_build(ctx.app.records, ctx.key, data, ctx.now())
        return StepResult.wait(decision.wait_seconds or 0.0, decision.reason)
    return StepResult.done({"decision": data})


def _superseded(ctx: StepContext, decision: dict[str, Any]) -> StepResult:
    """Record that a newer run replaced this one (its record said "wait" until now)."""
    from shared.images.records import write_build

    newer = decision.get("run") or {}
    run = {
        "template_id": ctx.data["template_id"],
        "location": newer.get("location"),
        "start_time": ctx.data.get("start_time"),
        "end_time": None,
        "run_state": None,
        "message": "",
    }
    write_build(ctx.app.records, ctx.key, {**decision, "run": run}, ctx.now())
    return StepResult.skip(decision["reason"])


def _dispatch(ctx: StepContext) -> StepResult:
    """Start one replication job per artifact and write the build's recovery record."""
    from shared.images.model import Artifact
    from shared.images.records import write_build

    decision = ctx.data["decision"]
    if decision["outcome"] == "superseded":
        return _superseded(ctx, decision)
    jobs = []
    service = ctx.app.jobs
    for item in decision["artifacts"]:
        artifact = Artifact.from_json(item)
        data = {"artifact": item, "build_key": ctx.key, "run": decision["run"]}
        jobs.append(service.submit(REPLICATION_KIND, artifact.job_key, data).job.id)
    write_build(ctx.app.records, ctx.key, decision, ctx.now())
    return StepResult.done({"replication_jobs": jobs})


def _protect(ctx: StepContext) -> StepResult:
    """Advance the artifact's protection; wait on copies and replication, never sleep."""
    from shared.azure.disks import CopyLimitReached
    from shared.images.model import Artifact, ArtifactState
    from shared.images.protect import protect_pass
    from shared.images.records import plan_record, write_artifact
    from shared.images.service import check_artifact

    artifact = Artifact.from_json(ctx.data["artifact"])
    check_artifact(artifact.source, ctx.settings, "artifact")
    known = _established(ctx)
    try:
        now, failure = ctx.now(), _gave_up(ctx)
        done = protect_pass(ctx.app.clients, ctx.settings, artifact, now, failure, known=known)
    except CopyLimitReached as exc:
        refusals = int(ctx.data.get("copy_refusals") or 0) + 1
        data = {"copy_refusals": refusals, "refused": str(exc)[:300], **_keep(ctx, known)}
        return StepResult.wait(exc.wait_seconds or 0.0, str(exc), data)
    plan = done.protection
    if ctx.settings.dry_run:
        return _planned_only(plan)
    if done.issued:
        ctx.log.info("issued %s", ", ".join(op for op, _ in done.issued))
    if plan.state is ArtifactState.IN_PROGRESS:
        return _wait(ctx, done, known)
    record = plan_record(plan)
    # Settled facts serve one protection only: a retried job (the sweep retries failed ones)
    # starts from a fresh read, since its clean-up deleted what it had made.
    if plan.state is ArtifactState.DR_READY:
        ready = {**record, "dr_ready_at": ctx.now().isoformat()}
        return StepResult.done({"plan": ready, "established": {}})
    write_artifact(ctx.app.records, artifact, record, run=ctx.data.get("run"), now=ctx.now())
    if plan.state is ArtifactState.SKIPPED:
        return StepResult.skip(plan.skipped or "out of scope", {"plan": record, "established": {}})
    return StepResult.fail(plan.failure or "protection failed", {"plan": record, "established": {}})


def _established(ctx: StepContext) -> Established:
    """The facts the previous pass established, if that pass was this step's last attempt.

    An attempt that raised (a transient error, a dead worker) may have written after its
    facts were saved: the attempt after it starts from a fresh read instead.
    """
    from shared.engine.established import Established

    by = ctx.data.get("established_by")
    if not isinstance(by, int) or by != ctx.attempt - 1:
        return Established()
    return Established(ctx.data.get("established"))


def _keep(ctx: StepContext, known: Established) -> dict[str, Any]:
    """Job data that hands `known` to the next attempt of this step."""
    return {"established": known.to_json(), "established_by": ctx.attempt}


def _planned_only(plan: Any) -> StepResult:
    """End a LIFEBOAT_DRY_RUN replication with its plan: nothing was issued, nothing to wait on."""
    from shared.images.model import ArtifactState
    from shared.images.records import plan_record

    record = plan_record(plan)
    if plan.state is ArtifactState.DR_READY:
        return StepResult.done({"plan": record, "dry_run": True})
    reason = f"dry run (LIFEBOAT_DRY_RUN): {len(plan.ready)} write(s) planned, none issued"
    return StepResult.skip(reason, {"plan": record, "dry_run": True})


def _gave_up(ctx: StepContext) -> str | None:
    """Why to stop, once Azure refused CopyStart for hours (the pass then only cleans up)."""
    from shared.images.policy import MAX_COPY_REFUSALS

    refusals = int(ctx.data.get("copy_refusals") or 0)
    if refusals <= MAX_COPY_REFUSALS:
        return None
    return f"CopyStart refused {refusals} times: {ctx.data.get('refused') or ''}".strip()


def _wait(ctx: StepContext, done: Any, known: Established | None = None) -> StepResult:
    """Wait the estimated time left (a copy's, or a replication's from its rate between looks);
    without one, a poll that doubles while the progress stays the same."""
    from shared.engine.established import Established
    from shared.images.model import ActionStatus
    from shared.images.policy import backoff_wait, observe

    plan = done.protection
    busy = [s.detail or s.action.op for s in plan.steps if s.status is ActionStatus.IN_PROGRESS]
    progress = "; ".join(busy)[:300] or "waiting"
    unchanged = not done.issued and progress == ctx.data.get("progress")
    polls = int(ctx.data.get("polls") or 0) if unchanged else 0
    rates, unknown, seen = observe(ctx.settings, ctx.data.get("seen") or {}, plan.polled, ctx.now())
    estimate = min([*rates, *([plan.estimate] if plan.estimate is not None else [])], default=None)
    wait = backoff_wait(ctx.settings, estimate, polls, unknown)
    data = {
        "polls": polls + 1,
        "progress": progress,
        "seen": seen,
        "copy_refusals": 0,
        **_keep(ctx, known or Established()),
    }
    return StepResult.wait(wait, progress, data)


def _record(ctx: StepContext) -> StepResult:
    """Write the DR-ready recovery record to the DR-region storage account."""
    from shared.images.model import Artifact
    from shared.images.records import write_artifact

    plan = ctx.data.get("plan") or {}
    if plan.get("state") != "dr_ready":
        return StepResult.skip("nothing DR-ready to record")
    artifact = Artifact.from_json(ctx.data["artifact"])
    write_artifact(ctx.app.records, artifact, plan, run=ctx.data.get("run"), now=ctx.now())
    from shared.publish.emitters import image_ready

    ctx.emit(*image_ready(artifact, plan, ctx.now()))
    return StepResult.done()


await_build = azure_step(_await_build)
dispatch = azure_step(_dispatch)
protect = azure_step(_protect)
record = azure_step(_record)


def register(registry: Registry) -> None:
    """Declare the image DR job kinds in `registry` (shared.features.JOB_KINDS points here)."""
    registry.register(
        BUILD_KIND,
        (("await_build", await_build), ("dispatch", dispatch)),
        "Waits for an Image Builder run to end, then starts one replication job per output.",
    )
    registry.register(
        REPLICATION_KIND,
        (("protect", protect), ("record", record)),
        "Replicates one image artifact to the DR region and records it once DR-ready.",
    )
