"""The events of the features on main, built from what their steps already hold (one call each).

`ctx.emit(*event)` records an event in the job's outbox; these return the `Event` to emit.
A template backup is not a job step: `template_version_stored` hands its event to a
`lifeboat_events` job keyed by (template, content hash), whichever path stored the version.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.publish.events import Event, image_dr_ready, template_backed_up, vm_set_ready

if TYPE_CHECKING:
    from shared.arm_id import ResourceId
    from shared.bootstrap import Deps
    from shared.images.model import Artifact
    from shared.vms.manifest import RecoveryManifest

logger = logging.getLogger(__name__)


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


def backed_up_key(template_id: ResourceId, digest: str) -> str:
    """The job key (and id basis) of one template version's BackedUp event."""
    return f"template|{template_id.key()}|{digest}"


def template_version_stored(
    deps: Deps, template_id: ResourceId, digest: str, blob: str, stored_at: datetime
) -> None:
    """Lifeboat.Template.BackedUp for a version just stored in DR storage, submitted before
    the backup pointer moves to it (a backup killed in between and re-run submits the same
    job: one event). The same version stored by any path (Event Grid, HTTP, backup-all job,
    daily sweep) is the same job and the same event id. Never raises into the backup."""
    from shared.publish.rpo import submit_events

    event = template_backed_up(
        str(template_id), content_hash=digest, blob=blob, backed_up_at=stored_at
    )
    try:
        submit_events(deps, backed_up_key(template_id, digest), [event])
    except Exception:  # publishing never fails the backup
        logger.exception("event %s for %s not submitted", event.type, event.subject)


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
