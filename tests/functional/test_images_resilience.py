"""Image DR under duress: duplicate and concurrent events, throttling, 5xx, killed workers."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions.resource_events import on_resource_event
from shared.bootstrap import get_deps
from shared.jobs import JobState
from tests.plugins.arm import LifeboatEnv
from tests.support.images import (
    DR_RG,
    DR_TYPES,
    build_event,
    driver,
    estate,
    grid_event,
    killing_registry,
    resources,
    run_through_kills,
    start_run,
    template,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _dr_inventory(arm: Any) -> Counter[str]:
    """What exists in the DR resource group, by type and region."""
    return Counter(f"{t}@{r['location']}" for t in DR_TYPES for r in resources(arm, t, DR_RG))


EXPECTED = Counter(
    {
        # DR gallery + definition + version copy; the staging gallery stays (shared, empty).
        "Microsoft.Compute/galleries@westus": 1,
        "Microsoft.Compute/galleries/images@westus": 1,
        "Microsoft.Compute/galleries/images/versions@westus": 1,
        "Microsoft.Compute/galleries@eastus": 1,
        # DR image and the CopyStart copy of its one disk; no staging snapshot or disk left.
        "Microsoft.Compute/images@westus": 1,
        "Microsoft.Compute/snapshots@westus": 1,
    }
)


def _states(kind: str) -> list[JobState]:
    return sorted(j.state for j in get_deps().jobs.list(kind=kind))


def _deliver(raw: Any) -> None:
    """Deliver an event as Event Grid does: retry while the handler fails (it redelivers)."""
    for _ in range(50):
        try:
            on_resource_event(grid_event(raw))
            return
        except Exception:
            continue
    raise AssertionError("the event was never accepted")


def _dr_blob_count(env: LifeboatEnv) -> int:
    container = env.clients.blob_service("dr").get_container_client(env.settings.vhd_container)
    return len(list(container.list_blobs()))


def test_concurrent_duplicate_events_make_one_job_and_one_set_of_resources(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web")))
    start_run(lifeboat_env, "web")
    raw = build_event("web")

    with driver(arm) as d:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda _: on_resource_event(grid_event(raw)), range(3)))
        assert d.run() is True

    assert _states("image_build") == [JobState.SUCCEEDED]
    assert _states("image_replication") == [JobState.SUCCEEDED] * 3
    assert _dr_inventory(arm) == EXPECTED
    assert _dr_blob_count(lifeboat_env) == 1
    creates = Counter(e.path.lower() for e in arm.log.writes() if e.status < 300)
    assert max(creates.values()) == 1, "every DR resource is written exactly once"


def test_throttling_storms_and_server_errors_still_complete_every_job(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web")))
    start_run(lifeboat_env, "web")
    arm.faults.throttle(1.0, count=40)  # a storm: the next 40 calls are all throttled
    # then 5xx on 30% of calls (Lifeboat makes few enough calls that 20% left the storm thin)
    arm.faults.server_errors(0.15, status=503)
    arm.faults.server_errors(0.15 / 0.85, status=500)

    with driver(arm) as d:
        _deliver(build_event("web"))
        assert d.run() is True

    injected = [e for e in arm.log.entries() if e.fault]
    assert len(injected) > 40 + 20
    assert {e.status for e in injected} >= {429, 500, 503}
    assert _states("image_build") == [JobState.SUCCEEDED]
    assert _states("image_replication") == [JobState.SUCCEEDED] * 3
    assert _dr_inventory(arm) == EXPECTED
    assert _dr_blob_count(lifeboat_env) == 1


@pytest.mark.parametrize("step", ["await_build", "dispatch", "protect", "record"])
def test_worker_killed_after_any_step_finishes_on_redelivery_without_orphans(
    lifeboat_env: LifeboatEnv, step: str
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web")))
    start_run(lifeboat_env, "web")
    registry, killed = killing_registry(step, times=3)

    with driver(arm, registry) as d:
        on_resource_event(grid_event(build_event("web")))
        run_through_kills(d)

    assert killed, "the fault was injected"
    assert _states("image_build") == [JobState.SUCCEEDED]
    assert _states("image_replication") == [JobState.SUCCEEDED] * 3
    assert _dr_inventory(arm) == EXPECTED
    assert _dr_blob_count(lifeboat_env) == 1


@pytest.mark.parametrize("writes_before_death", range(1, 12))
def test_worker_killed_between_any_two_writes_finishes_without_orphans(
    lifeboat_env: LifeboatEnv, writes_before_death: int
) -> None:
    """A worker dies after k writes of the managed-image path; a new one finishes the job."""
    from shared.bootstrap import get_deps
    from shared.engine.executor import execute
    from shared.images.model import Artifact, ArtifactKind
    from shared.images.protect import dry_run_protection
    from shared.images.service import start_artifact
    from tests.support.images import COMPUTE

    arm = lifeboat_env.arm
    arm.seed(estate(template("img", ("ManagedImage",))))
    start_run(lifeboat_env, "img")
    arm.clock.advance(3600)  # the build is over
    artifact = Artifact(ArtifactKind.MANAGED_IMAGE, f"{COMPUTE}/images/img-managed", "eastus")
    done = []
    while len(done) < writes_before_death:
        plan = dry_run_protection(
            get_deps().clients, get_deps().settings, artifact, arm.clock.now()
        )
        if not plan.ready:
            arm.clock.advance(300)  # waiting on a copy or a replication, as the job would
            continue
        execute(get_deps().clients, get_deps().settings, plan.ready[0])
        done.append(plan.ready[0].op)

    with driver(arm) as d:
        start_artifact(get_deps(), artifact)
        assert d.run() is True

    assert _states("image_replication") == [JobState.SUCCEEDED]
    inventory = _dr_inventory(arm)
    assert inventory["Microsoft.Compute/images@westus"] == 1
    assert inventory["Microsoft.Compute/snapshots@westus"] == 1
    assert inventory["Microsoft.Compute/disks@eastus"] == 0
    assert inventory["Microsoft.Compute/snapshots@eastus"] == 0
    assert inventory["Microsoft.Compute/galleries/images@eastus"] == 0
    assert inventory["Microsoft.Compute/galleries/images/versions@eastus"] == 0
    creates = Counter(e.path.lower() for e in arm.log.writes() if e.status < 300)
    assert max(creates.values()) == 1, f"a write was repeated after dying at {done[-1]}"
