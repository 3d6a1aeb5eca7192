"""The reconcile sweep (level-triggered healing): builds every run, templates once a day."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)

TEMPLATE_SWEEP_EVERY = timedelta(hours=24)
# Where the last template sweep is recorded, in the DR account's records container.
TEMPLATE_SWEEP_MARKER = "sweeps/templates.json"


@dataclass(frozen=True)
class ReconcileReport:
    """What one reconcile run did; a sweep that failed is named in `errors`, the other still ran."""

    images: dict[str, Any] | None = None
    templates: dict[str, Any] | None = None
    templates_skipped_until: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON."""
        return {
            "images": self.images,
            "templates": self.templates,
            "templatesSkippedUntil": self.templates_skipped_until,
            "errors": self.errors,
        }


def template_sweep_due(last: datetime | None, now: datetime) -> bool:
    """True when templates were never swept or were last swept a day or more before `now`."""
    return last is None or now - last >= TEMPLATE_SWEEP_EVERY


def _last_template_sweep() -> datetime | None:
    from shared.azure.blobs import get_json
    from shared.composition import get_clients, get_settings

    marker = get_json(get_clients(), get_settings().records_container, TEMPLATE_SWEEP_MARKER)
    stamp = (marker or {}).get("sweptAt")
    return datetime.fromisoformat(stamp) if isinstance(stamp, str) else None


def _mark_template_sweep(now: datetime) -> None:
    from shared.azure.blobs import put_json
    from shared.composition import get_clients, get_settings

    settings = get_settings()
    if settings.dry_run:
        # Unmarked, the first sweep after LIFEBOAT_DRY_RUN is turned off backs templates up at once.
        return
    put_json(
        get_clients(),
        settings.records_container,
        TEMPLATE_SWEEP_MARKER,
        {"sweptAt": now.isoformat()},
    )


def _sweep_images() -> dict[str, Any]:
    from shared.composition import get_clients, get_settings
    from shared.images.sweep import sweep_images

    return sweep_images(get_clients(), get_settings()).to_json()


def _sweep_templates() -> dict[str, Any]:
    from shared.templates.service import reconcile_templates

    return reconcile_templates().to_dict()


def reconcile(now: datetime, force_templates: bool = False) -> ReconcileReport:
    """Sweep builds, then templates when due (or forced); return what each sweep did.

    A sweep that raises is reported in `errors` and logged; the other sweep still runs. The
    caller decides whether errors should fail the run (the timer re-raises so they are seen).
    """
    errors: dict[str, str] = {}
    images = templates = None
    skipped_until = None
    try:
        images = _sweep_images()
    except Exception as exc:  # reported and re-raised by the caller after the template sweep
        logger.exception("image sweep failed", extra={"action": "reconcile"})
        errors["images"] = f"{type(exc).__name__}: {exc}"
    try:
        last = None if force_templates else _last_template_sweep()
        if force_templates or template_sweep_due(last, now):
            templates = _sweep_templates()
            _mark_template_sweep(now)
        elif last is not None:
            skipped_until = (last + TEMPLATE_SWEEP_EVERY).isoformat()
    except Exception as exc:  # reported and re-raised by the caller
        logger.exception("template sweep failed", extra={"action": "reconcile"})
        errors["templates"] = f"{type(exc).__name__}: {exc}"
    return ReconcileReport(images, templates, skipped_until, errors)
