"""Typed errors of outage plans; each names the HTTP status its entry point answers with."""

from __future__ import annotations

from shared.errors import InvalidInput, LifeboatError


class DamagedPlan(InvalidInput):
    """A persisted plan or plan status that is not valid JSON, not a plan, or of another version."""


class PlanError(LifeboatError):
    """A plan operation refused; `status` is the HTTP status an entry point answers with."""

    status = 409

    def __init__(self, plan_id: str, message: str) -> None:
        self.plan_id = plan_id
        self.message = message
        super().__init__(f"plan {plan_id}: {message}")


class PlanNotFound(PlanError):
    """No plan has this id."""

    status = 404


class PlanExpired(PlanError):
    """The plan waited longer than its time to live and can no longer be approved."""


class PlanCancelled(PlanError):
    """The plan was cancelled."""


class PlanAlreadyRunning(PlanError):
    """The plan was already approved, is executing, or has finished: nothing runs twice."""


class PlanClosed(PlanError):
    """The plan ended without running (its incident resolved, or it was superseded)."""


class IllegalTransition(PlanError):
    """Any other transition the plan's state does not allow."""


class DrillRefused(PlanError):
    """A drill may not start now (a real outage plan is executing)."""


class StoreConflict(LifeboatError):
    """A ledger entry or plan write lost a race (ETag changed, or it already exists)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"{key} was changed by someone else")
