"""The public JSON shape of a job (GET /api/jobs/{id}): states, steps, errors, a data summary."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from shared.jobs.messages import iso
from shared.jobs.model import Job, StepRecord, clip

SUMMARY_VALUE_CHARS = 256
SUMMARY_MAX_KEYS = 50


def _time(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def _summary_value(value: Any) -> Any:
    if isinstance(value, str):
        return clip(value, SUMMARY_VALUE_CHARS)
    if isinstance(value, (list, dict)):
        text = json.dumps(value, separators=(",", ":"))
        if len(text) > SUMMARY_VALUE_CHARS:
            return f"<{type(value).__name__} of {len(value)} items>"
    return value


def data_summary(data: dict[str, Any]) -> dict[str, Any]:
    """Return `data` with long strings clipped and big containers reduced to their size."""
    keys = sorted(data)[:SUMMARY_MAX_KEYS]
    return {k: _summary_value(data[k]) for k in keys}


def _step_view(step: StepRecord) -> dict[str, Any]:
    return {
        "name": step.name,
        "state": step.state.value,
        "attempts": step.attempts,
        "retries": step.retries,
        "started": _time(step.started),
        "finished": _time(step.finished),
        "lastError": step.last_error or None,
        "waitReason": step.wait_reason or None,
    }


def job_view(job: Job) -> dict[str, Any]:
    """Return the JSON-ready public view of `job` (no lease or token internals)."""
    current = job.current_step()
    return {
        "id": job.id,
        "kind": job.kind,
        "key": job.key,
        "state": job.state.value,
        "reason": job.reason or None,
        "currentStep": current.name if current is not None and not job.terminal else None,
        "created": _time(job.created),
        "updated": _time(job.updated),
        "finished": _time(job.finished),
        "wakeAt": _time(job.wake_at) if not job.terminal else None,
        "steps": [_step_view(s) for s in job.steps],
        "data": data_summary(job.data),
    }
