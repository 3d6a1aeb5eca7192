"""HTTP triggers for drills: start one (POST /api/drills), read one (GET /api/drills/{id})."""

from __future__ import annotations

import logging
from typing import Any

import azure.functions as func

from functions.http import json_response, read_json
from functions.plans import plan_answer
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("drills_start")
@bp.route(route="drills", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def drills_start(req: func.HttpRequest) -> func.HttpResponse:
    """202 with the drill's plan id and status_url; `dryRun` → 200 with the plan, nothing
    written; 400 naming the field; 409 while a real outage plan is executing."""
    return plan_answer("drills", lambda: _start(req))


@bp.function_name("drills_get")
@bp.route(route="drills/{plan_id}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def drills_get(req: func.HttpRequest) -> func.HttpResponse:
    """200 with the drill's plan, its execution, its jobs and its evidence; 404 unknown."""
    return plan_answer("drills/{id}", lambda: _get(req))


def _dry_run(req: func.HttpRequest, body: dict[str, Any]) -> bool:
    raw: Any = body.get("dryRun")
    if raw is None:
        raw = req.params.get("dryRun")
        if raw is not None:
            if raw.lower() not in {"true", "false"}:
                raise InvalidInput("dryRun", "expected true or false")
            raw = raw.lower() == "true"
    if raw is not None and not isinstance(raw, bool):
        raise InvalidInput("dryRun", "expected true or false")
    return bool(raw)


def _start(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.drills.start import parse_scope, start_drill

    body = read_json(req) if req.get_body() else {}
    if not isinstance(body, dict):
        raise InvalidInput("body", "expected a JSON object")
    unknown = sorted(set(body) - {"tag", "vmIds", "dryRun"})
    if unknown:
        raise InvalidInput(unknown[0], "unknown field (expected tag, vmIds, dryRun)")
    deps = get_deps()
    dry_run = _dry_run(req, body) or deps.settings.dry_run
    scope = parse_scope(body, deps.settings.subscriptions)
    started = start_drill(deps, scope, dry_run=dry_run)
    out = started.to_json()
    if dry_run:
        out.update(dryRun=True, plan=_plan_json(started.plan))
        return json_response(200, out)
    out["status_url"] = out["statusUrl"]
    logger.info(
        "drill %s started (plan %s)",
        started.plan.drill_id,
        started.plan.plan_id,
        extra={"plan_id": started.plan.plan_id, "drill_id": started.plan.drill_id},
    )
    return json_response(202, out)


def _plan_json(plan: Any) -> Any:
    import json

    return json.loads(plan.to_json())


def _get(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.drills.start import drill_view
    from shared.outages.names import PLAN_ID

    plan_id = req.route_params.get("plan_id") or ""
    if not PLAN_ID.fullmatch(plan_id):
        raise InvalidInput("planId", "not a plan id (plan-<20 hex digits>)")
    return json_response(200, drill_view(get_deps(), plan_id))
