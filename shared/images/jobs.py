"""Image DR job kinds on the job backbone: `image_build` (per run) and `image_replication`."""

from __future__ import annotations

from typing import Any

from shared.arm_id import ResourceId
from shared.jobs.registry import StepContext, StepFn, StepResult, register_kind

BUILD_KIND = "image_build"
REPLICATION_KIND = "image_replication"
_PROTECTED_STATES = ("Succeeded", "PartiallySucceeded")


def _clients() -> Any:
    from shared.composition import get_clients

    return get_clients()


def _await_build(ctx: StepContext) -> StepResult:
    """Read the build; wait while it runs; decide what to protect (or why nothing)."""
    from shared.azure import image_builds
    from shared.images.build_plan import BuildOutcome, plan_build
    from shared.images.records import decision_json, write_build

    clients = _clients()
    template = ResourceId.parse(ctx.data["template_id"], "template_id")
    expected = image_builds.parse_time(ctx.data.get("start_time"))
    run = image_builds.get_build(clients, template)
    outputs: tuple[image_builds.RunOutput, ...] = ()
    current = run is not None and run.start_time == expected
    if current and run is not None and run.run_state in _PROTECTED_STATES:
        outputs = image_builds.list_run_outputs(clients, template)
    decision = plan_build(run, outputs, ctx.settings, expected)
    data = decision_json(decision)
    if decision.outcome is BuildOutcome.WAIT:
        if ctx.attempt <= 1:
            write_build(clients, ctx.settings, ctx.key, data, ctx.now())
        return StepResult.wait(decision.wait_seconds or 0.0, decision.reason)
    return StepResult.done({"decision": data})


def _dispatch(ctx: StepContext) -> StepResult:
    """Start one replication job per artifact and write the build's recovery record."""
    from shared.images.model import Artifact
    from shared.images.records import write_build
    from shared.jobs.runtime import get_job_service

    decision = ctx.data["decision"]
    if decision["outcome"] == "superseded":
        return StepResult.skip(decision["reason"])
    jobs = []
    service = get_job_service()
    for item in decision["artifacts"]:
        artifact = Artifact.from_json(item)
        data = {"artifact": item, "build_key": ctx.key, "run": decision["run"]}
        jobs.append(service.submit(REPLICATION_KIND, artifact.key, data).job.id)
    write_build(_clients(), ctx.settings, ctx.key, decision, ctx.now())
    return StepResult.done({"replication_jobs": jobs})


def _protect(ctx: StepContext) -> StepResult:
    """Advance the artifact's protection; wait on copies and replication, never sleep."""
    from shared.images.model import Artifact, ArtifactState
    from shared.images.protect import protect_pass
    from shared.images.records import plan_record, write_artifact

    artifact = Artifact.from_json(ctx.data["artifact"])
    clients = _clients()
    done = protect_pass(clients, ctx.settings, artifact, ctx.now())
    plan = done.plan
    record = plan_record(plan)
    if done.issued:
        ctx.log.info("issued %s", ", ".join(op for op, _ in done.issued))
    if plan.state is ArtifactState.IN_PROGRESS:
        from shared.images.policy import backoff_wait

        polls = 0 if done.issued else int(ctx.data.get("polls") or 0)
        wait = backoff_wait(ctx.settings, plan.wait_seconds, polls)
        busy = [s.detail or s.action.op for s in plan.steps if s.status.value == "in_progress"]
        reason = "; ".join(busy)[:300] or "waiting"
        return StepResult.wait(wait, reason, {"polls": polls + 1})
    if plan.state is ArtifactState.DR_READY:
        return StepResult.done({"plan": {**record, "dr_ready_at": ctx.now().isoformat()}})
    write_artifact(clients, ctx.settings, artifact, record, run=ctx.data.get("run"), now=ctx.now())
    if plan.state is ArtifactState.SKIPPED:
        return StepResult.skip(plan.skipped or "out of scope", {"plan": record})
    return StepResult.fail(plan.failure or "protection failed", {"plan": record})


def _record(ctx: StepContext) -> StepResult:
    """Write the DR-ready recovery record to the DR-region storage account."""
    from shared.images.model import Artifact
    from shared.images.records import write_artifact

    plan = ctx.data.get("plan") or {}
    if plan.get("state") != "dr_ready":
        return StepResult.skip("nothing DR-ready to record")
    artifact = Artifact.from_json(ctx.data["artifact"])
    write_artifact(_clients(), ctx.settings, artifact, plan, run=ctx.data.get("run"), now=ctx.now())
    return StepResult.done()


def _waiting_out_throttling(step: StepFn) -> StepFn:
    def run(ctx: StepContext) -> StepResult:
        from shared.azure.arm_calls import throttling_waits

        with throttling_waits():
            return step(ctx)

    run.__doc__ = step.__doc__
    return run


await_build = _waiting_out_throttling(_await_build)
dispatch = _waiting_out_throttling(_dispatch)
protect = _waiting_out_throttling(_protect)
record = _waiting_out_throttling(_record)

register_kind(
    BUILD_KIND,
    (("await_build", await_build), ("dispatch", dispatch)),
    "Waits for an Image Builder run to end, then starts one replication job per output.",
)
register_kind(
    REPLICATION_KIND,
    (("protect", protect), ("record", record)),
    "Replicates one image artifact to the DR region and records it once DR-ready.",
)
