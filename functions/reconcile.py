"""The `reconcile` timer: re-derives what should be protected from what exists, and heals it."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.errors import TransientError

logger = logging.getLogger(__name__)

# Every 30 minutes: a lost build event costs at most half an hour of exposure. Templates are
# swept once a day within these runs (shared.templates.schedule.TEMPLATE_SWEEP_EVERY).
RECONCILE_SCHEDULE = "0 */30 * * * *"

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("reconcile")
@bp.timer_trigger(arg_name="timer", schedule=RECONCILE_SCHEDULE, run_on_startup=False)
def reconcile(timer: func.TimerRequest) -> None:
    """Run the sweeps; raise TransientError when one failed, so the failure shows in monitoring."""
    from shared.bootstrap import get_deps
    from shared.services.reconcile import reconcile as run_reconcile

    deps = get_deps()
    # The root's clock (the system clock in Azure): schedules are judged on the app's time.
    report = run_reconcile(deps, deps.clock())
    logger.info(
        "reconcile: images %s, templates %s, errors %s",
        "swept" if report.images is not None else "not swept",
        "swept" if report.templates is not None else f"next {report.templates_skipped_until}",
        sorted(report.errors) or "none",
        extra={"action": "reconcile", "past_due": timer.past_due},
    )
    if report.errors:
        raise TransientError(f"reconcile sweeps failed: {report.errors}")
