"""The reconcile sweep (level-triggered healing): every feature's sweep, each isolated."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.templates.schedule import TEMPLATE_SWEEP_EVERY, template_sweep_due

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.features import Sweep

logger = logging.getLogger(__name__)

__all__ = ["TEMPLATE_SWEEP_EVERY", "ReconcileReport", "reconcile", "template_sweep_due"]


@dataclass(frozen=True)
class ReconcileReport:
    """What one reconcile run did; a sweep that failed is named in `errors`, the others ran."""

    results: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    skipped_until: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def images(self) -> dict[str, Any] | None:
        """The image sweep's report (None when it did not run)."""
        return self.results.get("images")

    @property
    def templates(self) -> dict[str, Any] | None:
        """The template sweep's report (None when it was not due or failed)."""
        return self.results.get("templates")

    @property
    def templates_skipped_until(self) -> str | None:
        """When the template sweep is next due, if it was skipped."""
        return self.skipped_until.get("templates")

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON."""
        return {
            "images": self.images,
            "templates": self.templates,
            "templatesSkippedUntil": self.templates_skipped_until,
            "errors": self.errors,
        }


def reconcile(
    deps: Deps, now: datetime, force: bool = False, sweeps: Sequence[Sweep] | None = None
) -> ReconcileReport:
    """Run every feature's sweep (shared.features.SWEEPS); return what each did.

    A sweep that raises is reported in `errors` and logged; the others still run. A sweep
    that is not due returns (None, next due time). The caller decides whether errors should
    fail the run (the timer re-raises so they are seen).
    """
    from shared.features import SWEEPS

    results: dict[str, dict[str, Any] | None] = {}
    skipped: dict[str, str] = {}
    errors: dict[str, str] = {}
    for sweep in SWEEPS if sweeps is None else sweeps:
        try:
            result, until = sweep.run(deps, now, force)
        except Exception as exc:  # reported and re-raised by the caller after the other sweeps
            logger.exception("%s sweep failed", sweep.name, extra={"action": "reconcile"})
            errors[sweep.name] = f"{type(exc).__name__}: {exc}"
            continue
        results[sweep.name] = result
        if until is not None:
            skipped[sweep.name] = until
    return ReconcileReport(results, skipped, errors)
