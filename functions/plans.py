"""HTTP triggers for DR plans: list, read, approve, cancel."""

from __future__ import annotations

import logging
from typing import Any

import azure.functions as func

from functions.http import answer, json_response, read_json
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]

_PRINCIPAL = "x-ms-client-principal-name"


def plan_answer(route: str, call: Any) -> func.HttpResponse:
    """answer(), with a refused plan operation (PlanError) answering its own status and id."""

    def run() -> func.HttpResponse:
        # A refused plan operation answers its own status (404 unknown plan, 409 otherwise).
        from shared.outages.errors import PlanError

        try:
            result: func.HttpResponse = call()
            return result
        except PlanError as exc:
            logger.info("%s refused: %s", route, exc, extra={"plan_id": exc.plan_id})
            return json_response(exc.status, {"error": str(exc), "planId": exc.plan_id})

    return answer(route, run)


@bp.function_name("plans_list")
@bp.route(route="plans", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def plans_list(req: func.HttpRequest) -> func.HttpResponse:
    """200 with every DR plan's summary (state, action, items, expiry)."""
    return plan_answer("plans", _list)


@bp.function_name("plans_get")
@bp.route(route="plans/{plan_id}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def plans_get(req: func.HttpRequest) -> func.HttpResponse:
    """200 with the plan, its status and its execution's progress; 404 for an unknown plan."""
    return plan_answer("plans/{id}", lambda: _get(_plan_id(req)))


@bp.function_name("plans_approve")
@bp.route(route="plans/{plan_id}/approve", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def plans_approve(req: func.HttpRequest) -> func.HttpResponse:
    """200 with the approved plan (its execution submitted); 404 unknown, 409 expired,
    cancelled, closed or already approved/running; 400 without `approvedBy`."""
    return plan_answer("plans/{id}/approve", lambda: _approve(req))


@bp.function_name("plans_cancel")
@bp.route(route="plans/{plan_id}/cancel", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def plans_cancel(req: func.HttpRequest) -> func.HttpResponse:
    """200 with the cancelled plan; 404 unknown, 409 once it runs or ended."""
    return plan_answer("plans/{id}/cancel", lambda: _cancel(req))


def _plan_id(req: func.HttpRequest) -> str:
    from shared.outages.names import PLAN_ID

    value = req.route_params.get("plan_id") or ""
    if not PLAN_ID.fullmatch(value):
        raise InvalidInput("planId", "not a plan id (plan-<20 hex digits>)")
    return value


def _who(req: func.HttpRequest, field: str) -> str:
    body = read_json(req) if req.get_body() else {}
    if not isinstance(body, dict):
        raise InvalidInput("body", "expected a JSON object")
    who = body.get(field)
    if who is None:
        who = req.headers.get(_PRINCIPAL)
    if not isinstance(who, str) or not who.strip() or len(who) > 256:
        raise InvalidInput(field, "required: who decides (1-256 characters)")
    return who.strip()


def _list() -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.outages.service import list_plans, view

    deps = get_deps()
    plans = [view(deps, p).summary() for p in list_plans(deps)]
    return json_response(200, {"plans": plans})


def _get(plan_id: str) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.outages.service import get_plan, view

    deps = get_deps()
    return json_response(200, view(deps, get_plan(deps, plan_id)).to_json())


def _approve(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.outages.service import approve_plan, view

    plan_id, who = _plan_id(req), _who(req, "approvedBy")
    deps = get_deps()
    stored = approve_plan(deps, plan_id, who)
    logger.info("plan %s approved by %s", plan_id, who, extra={"plan_id": plan_id})
    return json_response(200, view(deps, stored).summary())


def _cancel(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.outages.service import cancel_plan, view

    plan_id, who = _plan_id(req), _who(req, "cancelledBy")
    deps = get_deps()
    stored = cancel_plan(deps, plan_id, who)
    logger.info("plan %s cancelled by %s", plan_id, who, extra={"plan_id": plan_id})
    return json_response(200, view(deps, stored).summary())
