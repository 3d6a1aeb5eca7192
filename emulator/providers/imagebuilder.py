"""Image Builder provider: imageTemplates CRUD, run/cancel, runOutputs; builds on the clock."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.core.router import Request, Response
from emulator.providers import aib_runs
from emulator.providers import aib_templates as templates
from emulator.providers.aib_progress import Progress
from emulator.providers.common import body_location, check_same_location

if TYPE_CHECKING:
    from emulator.core import Core

Body = dict[str, Any]
NS = "Microsoft.VirtualMachineImages"
TEMPLATE = "/subscriptions/{sub}/resourceGroups/{rg}/providers/" + NS + "/imageTemplates/{name}"
CONFLICT_MESSAGE = (
    "Update/Upgrade of image templates is currently not supported. Please change the name of the "
    "template you are submitting. If you have previously tried to submit a template and it failed "
    "to provision, you must delete it first and then resubmit."
)


def not_allowed(action: str, template: Body, run_state: str) -> errors.ArmError:
    """Return AIB's 409 OperationNotAllowed for `action` (delete, run/action, cancel/action)."""
    provisioning = template["properties"].get("provisioningState", "")
    state = "provisioned" if provisioning == "Succeeded" else provisioning.lower()
    return errors.conflict(
        "OperationNotAllowed",
        f"Operation {NS}/imageTemplates/{action} is not allowed in provisioning state: {state} "
        f"or run state: {run_state.lower()}.",
    )


def set_run_outcome(core: Core, template_id: str, outcome: str | None) -> None:
    """Make the next runs of `template_id` end as `outcome` (None: back to tag/Succeeded)."""
    if outcome is not None and outcome not in aib_runs.OUTCOMES:
        raise ValueError(f"outcome must be one of {aib_runs.OUTCOMES}")
    core.store.meta(template_id)["outcome"] = outcome


class ImageBuilder:
    """HTTP handlers for Microsoft.VirtualMachineImages/imageTemplates."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.progress = Progress(core)

    def _op(self, req: Request, location: str, on_done: Any = None) -> Any:
        return self.core.lro.begin(req, location, namespace=NS, polls=1, on_done=on_done)

    def _run_state(self, rid: str) -> str:
        body = self.core.store.require(rid)
        return str((body["properties"].get("lastRunStatus") or {}).get("runState") or "")

    def put(self, req: Request) -> Response:
        """PUT: 201 + AAO with provisioningState Creating; 409 Conflict when it exists."""
        rid, body = req.resource_id, req.json_object()
        location = body_location(req, body)
        existing = self.core.store.get(rid)
        check_same_location(existing, location, rid)
        if existing is not None:
            raise errors.conflict("Conflict", CONFLICT_MESSAGE)
        p = req.params
        staging = templates.staging_group(
            p["sub"], p["rg"], p["name"], body.get("properties") or {}, self.core.new_guid()
        )
        stored = self.core.store.put(
            templates.build(rid, body, location, staging, self.core.new_guid)
        )
        op = self._op(req, location, lambda: self.progress.provisioned(rid))
        return Response.created(stored, op.headers(aao=True, location=False))

    def get(self, req: Request) -> Response:
        """GET one template (lastRunStatus computed for the emulated now)."""
        return Response.ok(self.core.store.require(req.resource_id))

    def list(self, req: Request) -> Response:
        """List templates of a resource group or subscription (paged)."""
        scope = req.path.rsplit("/providers/", 1)[0]
        return self.core.paged(req, self.core.store.list(templates.TEMPLATE_TYPE, scope=scope))

    def patch(self, req: Request) -> Response:
        """PATCH tags/identity/vmProfile/distribute: 202 + AAO + Location; 409 while running."""
        rid = req.resource_id
        current = self.core.store.require(rid)
        run_state = self._run_state(rid)
        if run_state in {"Running", "Canceling"}:
            raise not_allowed("write", current, run_state)
        updated = templates.apply_update(current, req.json_object())
        updated["properties"]["provisioningState"] = "Updating"
        self.core.store.put(updated)
        op = self._op(req, current["location"], lambda: self.progress.updated(rid))
        return Response.accepted(None, op.headers(aao=True, location=True))

    def delete(self, req: Request) -> Response:
        """DELETE: 202 + AAO + Location; 204 when gone; 409 OperationNotAllowed while running."""
        rid = req.resource_id
        current = self.core.store.get(rid)
        if current is None:
            return Response.no_content()
        run_state = self._run_state(rid)
        if run_state in {"Running", "Canceling"}:
            raise not_allowed("delete", current, run_state)
        current["properties"]["provisioningState"] = "Deleting"
        self.core.store.put(current)
        op = self._op(req, current["location"], lambda: self.progress.deleted(rid))
        return Response.accepted(None, op.headers(aao=True, location=True))

    def run(self, req: Request) -> Response:
        """POST run: 202 + AAO + Location; the op ends on acceptance, the build on the clock."""
        rid = req.path.rsplit("/", 1)[0]
        current = self.core.store.require(rid)
        run_state = self._run_state(rid)
        if current["properties"].get("provisioningState") != "Succeeded" or run_state in {
            "Running", "Canceling",
        }:  # fmt: skip
            raise not_allowed("run/action", current, run_state)
        self.progress.start_run(rid, current)
        op = self._op(req, current["location"])
        return Response.accepted(None, op.headers(aao=True, location=True))

    def cancel(self, req: Request) -> Response:
        """POST cancel: 202 + AAO + Location; Canceling until the op completes, then Canceled."""
        rid = req.path.rsplit("/", 1)[0]
        current = self.core.store.require(rid)
        run_state = self._run_state(rid)
        if run_state != "Running":
            raise not_allowed("cancel/action", current, run_state or "none")
        self.progress.cancel_requested(rid)
        op = self._op(req, current["location"], lambda: self.progress.canceled(rid))
        return Response.accepted(None, op.headers(aao=True, location=True))

    def run_outputs(self, req: Request) -> Response:
        """List the run outputs of the last run (paged)."""
        rid = req.path.rsplit("/runOutputs", 1)[0]
        self.core.store.require(rid)
        outputs = self.core.store.meta(rid).get("run_outputs") or []
        return self.core.paged(req, [templates.run_output(rid, o) for o in outputs])

    def run_output(self, req: Request) -> Response:
        """GET one run output by runOutputName; 404 ResourceNotFound when absent."""
        rid = req.path.rsplit("/runOutputs/", 1)[0]
        self.core.store.require(rid)
        wanted = req.params["output"].lower()
        for output in self.core.store.meta(rid).get("run_outputs") or []:
            if output["name"].lower() == wanted:
                return Response.ok(templates.run_output(rid, output))
        raise errors.not_found(req.resource_id)

    def refresh(self, body: Body, meta: Body, now: datetime) -> None:
        """Advance the template's run to `now` (artifacts are created as phases are reached)."""
        self.progress.advance(body, meta, now)


def register(core: Core) -> None:
    """Add image template routes, the clock-driven refresh and an eager refresh on advance."""
    handlers = ImageBuilder(core)
    core.types.register(
        templates.TEMPLATE_TYPE, normalize=templates.normalize, refresh=handlers.refresh
    )
    add = core.router.add
    add("GET", "/subscriptions/{sub}/providers/" + NS + "/imageTemplates", handlers.list)
    add("GET", TEMPLATE.rsplit("/", 1)[0], handlers.list)
    add("PUT", TEMPLATE, handlers.put)
    add("GET", TEMPLATE, handlers.get)
    add("PATCH", TEMPLATE, handlers.patch)
    add("DELETE", TEMPLATE, handlers.delete)
    add("POST", TEMPLATE + "/run", handlers.run)
    add("POST", TEMPLATE + "/cancel", handlers.cancel)
    add("GET", TEMPLATE + "/runOutputs", handlers.run_outputs)
    add("GET", TEMPLATE + "/runOutputs/{output}", handlers.run_output)

    def eager(_now: datetime) -> None:
        # Artifacts appear when their phase is reached even if nobody reads the template.
        with core.lock:
            core.store.list(templates.TEMPLATE_TYPE)

    core.clock.on_advance(eager)
