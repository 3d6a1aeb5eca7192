"""Image Builder run progression: provisioning, outage failures, distribution and completion."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.providers import aib_outputs as outputs
from emulator.providers import aib_runs
from emulator.providers import aib_templates as templates
from emulator.providers.aib_runs import Run
from emulator.providers.locations import programmatic

if TYPE_CHECKING:
    from emulator.core import Core

Body = dict[str, Any]
OUTAGE_MESSAGE = (
    "The image build failed because Azure VM Image Builder is unavailable in region '{region}'. "
    "Please retry the build later."
)


class Progress:
    """Moves templates through provisioning and runs; every step is keyed on emulated time."""

    def __init__(self, core: Core) -> None:
        self.core = core

    # ---- LRO completions ---------------------------------------------------------------
    def provisioned(self, rid: str) -> None:
        """PUT op done: Succeeded (autoRun starts a build) or Failed with provisioningError."""
        template = self.core.store.get(rid)
        if template is None:
            return
        problem = templates.source_problem(template, self.core.store.get, self.core.store.meta)
        props = template["properties"]
        if problem is not None:
            code, message = problem
            props["provisioningState"] = "Failed"
            props["provisioningError"] = {"provisioningErrorCode": code, "message": message}
            self.core.store.put(template)
            raise errors.ArmError(400, code, message)
        props["provisioningState"] = "Succeeded"
        self.core.store.put(template)
        if (props.get("autoRun") or {}).get("state") == "Enabled":
            self.start_run(rid, template)

    def updated(self, rid: str) -> None:
        """PATCH op done: back to Succeeded."""
        template = self.core.store.get(rid)
        if template is not None:
            template["properties"]["provisioningState"] = "Succeeded"
            self.core.store.put(template)

    def deleted(self, rid: str) -> None:
        """DELETE op done: remove the template and VHDs kept in its staging account."""
        for output in self.core.store.meta(rid).get("run_outputs") or []:
            if output.get("artifactUri") and not output.get("custom_uri"):
                outputs.delete_vhd(self.core, output["artifactUri"])
        self.core.store.delete(rid)

    def start_run(self, rid: str, template: Body) -> None:
        """Start a build now; earlier run outputs are dropped."""
        meta = self.core.store.meta(rid)
        override = meta.get("outcome") or meta.get("_runOutcome")
        run = Run(
            run_id=self.core.new_guid(),
            started=self.core.clock.now(),
            outcome=aib_runs.outcome_of(template.get("tags"), override),
        )
        meta["run"] = run.to_dict()
        meta["run_outputs"] = []
        meta.pop("pending_outputs", None)

    def cancel_requested(self, rid: str) -> None:
        """Mark the run Canceling from now."""
        self._update_run(rid, "canceling_since")

    def canceled(self, rid: str) -> None:
        """Cancel op done: the run is Canceled from now."""
        if self.core.store.exists(rid):
            self._update_run(rid, "canceled_at")

    def _update_run(self, rid: str, field: str) -> None:
        meta = self.core.store.meta(rid)
        if "run" in meta:
            run = Run.from_dict(meta["run"])
            setattr(run, field, self.core.clock.now())
            meta["run"] = run.to_dict()

    # ---- clock-driven refresh ------------------------------------------------------------
    def advance(self, body: Body, meta: Body, now: datetime) -> None:
        """Bring the run to `now`: outage failure, distribution, completion; set lastRunStatus."""
        if "run" not in meta:
            return
        run = Run.from_dict(meta["run"])
        region = programmatic(body["location"])
        if aib_runs.status(run, now)["runState"] == "Running" and self.core.faults.is_region_down(
            region
        ):
            run.failed_at = now
            run.failure_message = OUTAGE_MESSAGE.format(region=region)
        self._distribute_if_due(body, meta, run, now)
        self._finish_if_due(meta, run, now)
        meta["run"] = run.to_dict()
        body.setdefault("properties", {})["lastRunStatus"] = aib_runs.status(run, now)

    def _distribute_if_due(self, body: Body, meta: Body, run: Run, now: datetime) -> None:
        moment = run.at(aib_runs.phase_start("Distributing"))
        if run.distributed or now < moment:
            return
        if aib_runs.status(run, moment)["runState"] != "Running":
            return
        run.distributed = True
        targets = body["properties"].get("distribute") or []
        results = []
        for index, target in enumerate(targets):
            forced = run.outcome == "PartiallySucceeded" and index == len(targets) - 1
            results.append(self._distribute_one(body, target, run, moment, forced))
        meta["pending_outputs"] = results

    def _distribute_one(
        self, template: Body, target: Body, run: Run, moment: datetime, forced: bool
    ) -> Body:
        result: Body = {"name": target["runOutputName"], "provisioningState": "Creating"}
        try:
            if forced:
                raise outputs.DistributeError("distribution failed (emulator-run-outcome).")
            if target["type"] == "SharedImage":
                result["artifactId"] = outputs.shared_image(self.core, template, target, moment)
            elif target["type"] == "ManagedImage":
                result["artifactId"] = outputs.managed_image(self.core, template, target, moment)
            else:
                result["artifactUri"] = outputs.vhd(self.core, template, target, run.run_id, moment)
                result["custom_uri"] = bool(target.get("uri"))
        except outputs.DistributeError as exc:
            result["error"] = f"Distribution to '{target['runOutputName']}' failed: {exc}"
        return result

    def _finish_if_due(self, meta: Body, run: Run, now: datetime) -> None:
        end = run.end_time()
        if not run.distributed or run.final_state is not None or now < end:
            return
        if aib_runs.status(run, end)["runState"] != "Running":
            return
        results = meta.get("pending_outputs") or []
        done = [r for r in results if not r.get("error")]
        for result in results:
            result["provisioningState"] = "Failed" if result.get("error") else "Succeeded"
        outputs.finish_artifacts(self.core, done)
        problems = [r["error"] for r in results if r.get("error")]
        run.failure_message = " ".join(problems)
        if not problems:
            run.final_state = "Succeeded"
        else:
            run.final_state = "PartiallySucceeded" if done else "Failed"
        meta["run_outputs"] = [{k: v for k, v in r.items() if k != "error"} for r in results]
        meta.pop("pending_outputs", None)
