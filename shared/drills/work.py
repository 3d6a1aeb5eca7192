"""Where a drill's follow-up keeps its working state: DR-region records, not the job record.

A job record holds at most 32,000 characters of data; a drill's spec (its VMs and every
resource it created) and its progress (validations, deletions) grow with the number of VMs,
so they live in the record store, written before the step reports, and the job data only
names them. A worker killed after a record write re-runs the step and finds its progress.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.jobs.registry import StepContext

PREFIX = "drill-work"


def spec_record(drill_id: str) -> str:
    """The record of a drill follow-up's spec (what `DrillFollowUp.to_data` returns)."""
    return f"{PREFIX}/{drill_id}/spec.json"


def progress_record(drill_id: str) -> str:
    """The record of a drill follow-up's progress: validations, deleted and refused resources."""
    return f"{PREFIX}/{drill_id}/progress.json"


def facts(ctx: StepContext) -> dict[str, Any]:
    """The follow-up's spec and progress merged with its job data (job data wins).

    Jobs submitted with the whole spec in their data (before specs moved to records) still work.
    """
    merged: dict[str, Any] = {}
    spec = ctx.data.get("spec")
    if isinstance(spec, str):
        merged.update(ctx.app.records.get(spec) or {})
    merged.update({k: v for k, v in ctx.data.items() if k != "spec"})
    drill = str(merged.get("drill_id") or "")
    if drill:
        merged.update(ctx.app.records.get(progress_record(drill)) or {})
    return merged


def save_progress(ctx: StepContext, data: Mapping[str, Any], **changes: Any) -> None:
    """Write the follow-up's progress record with `changes` applied (overwrites)."""
    drill = str(data["drill_id"])
    progress = {k: data[k] for k in ("validations", "gone", "failed") if k in data}
    progress.update(changes)
    ctx.app.records.put(progress_record(drill), progress, {"kind": "drill-progress"})
