"""Entry points of drills for other features: submit a drill's follow-up job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.drills.jobs import CLEANUP_KIND
from shared.drills.spec import DrillFollowUp
from shared.drills.work import spec_record
from shared.jobs.accepted import Accepted, accept

if TYPE_CHECKING:
    from shared.bootstrap import Deps


def submit_followup(deps: Deps, followup: DrillFollowUp) -> Accepted:
    """Submit (or find) the `drill_cleanup` job of one drill; key: the drill id.

    The same drill submitted twice is one job; a failed one is restarted. The follow-up's
    spec (every drill VM and every resource it created) is kept in DR storage, not in the job
    record, so a drill of any size fits: the job data names the record.
    """
    name = spec_record(followup.drill_id)
    deps.records.put(name, followup.to_data(), {"kind": "drill-spec"})
    return accept(
        deps.jobs, CLEANUP_KIND, followup.drill_id, {"drill_id": followup.drill_id, "spec": name}
    )
