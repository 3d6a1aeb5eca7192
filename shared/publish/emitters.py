"""The events of the features on main, built from what their steps already hold (one call each).

`ctx.emit(*event)` records an event in the job's outbox; these return the `Event` to emit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.publish.events import Event, image_dr_ready, template_backed_up, vm_set_ready

if TYPE_CHECKING:
    from shared.images.model import Artifact
    from shared.vms.manifest import RecoveryManifest

BACKED_UP = "backed_up"


def image_ready(artifact: Artifact, plan: Mapping[str, Any], now: datetime) -> Event:
    """Lifeboat.Image.DrReady for an artifact whose DR-ready record was just written."""
    ready = plan.get("dr_ready_at")
    ready_at = datetime.fromisoformat(str(ready)) if ready else now
    return image_dr_ready(
        artifact.source,
        kind=artifact.kind.value,
        dr_region=plan.get("dr_region"),
        dr_artifacts=[str(a).split("?", 1)[0] for a in plan.get("dr_artifacts") or ()],
        ready_at=ready_at,
        template_id=artifact.template_id,
    )


def templates_backed_up(report: Mapping[str, Any], now: datetime) -> list[Event]:
    """Lifeboat.Template.BackedUp for each template of a backup report stored anew."""
    return [
        template_backed_up(
            str(r["templateId"]),
            content_hash=str(r["contentHash"]),
            blob=r.get("blob"),
            backed_up_at=now,
        )
        for r in report.get("results") or ()
        if r.get("outcome") == BACKED_UP and r.get("contentHash")
    ]


def set_ready(manifest: RecoveryManifest, complete_at: datetime) -> Event:
    """Lifeboat.Vm.SetReady for a set whose recovery manifest was just written."""
    return vm_set_ready(
        manifest.vm_id,
        set_id=manifest.set_id,
        consistency=manifest.consistency.kind.value,
        skew_seconds=manifest.consistency.skew_seconds,
        captured_at=manifest.captured_at,
        complete_at=complete_at,
        dr_region=manifest.dr_region,
    )
