"""Image protection does not poll its quick creates: one PUT each, the next pass reads the rest."""

from __future__ import annotations

import pytest

from functions.resource_events import on_resource_event
from shared.engine.actions import SnapshotDisk
from shared.engine.executor import execute
from shared.jobs import JobState
from tests.plugins.arm import LifeboatEnv
from tests.support.images import (
    COMPUTE,
    build_event,
    driver,
    estate,
    grid_event,
    resources,
    start_run,
    template,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

DISK = f"{COMPUTE}/disks/quick-src"
SNAPSHOT = f"{COMPUTE}/snapshots/quick-src-snap"


def _seed_disk(env: LifeboatEnv) -> None:
    env.arm.seed({"resources": [
        {"id": DISK, "location": "eastus", "sku": {"name": "Premium_LRS"},
         "properties": {"diskSizeGB": 32, "creationData": {"createOption": "Empty"}}},
    ]})  # fmt: skip
    env.arm.log.clear()


def _poll(path: str) -> bool:
    return "operations/" in path.lower() and "/locations/" in path.lower()


def _awaited(method: str, path: str) -> bool:
    """The writes image protection still awaits: deletes, and the (shared) gallery PUTs."""
    return method == "DELETE" or (
        method == "PUT" and path.rstrip("/").split("/")[-2].lower() == "galleries"
    )


def test_a_snapshot_started_without_waiting_is_one_put_and_settles_by_the_next_read(
    lifeboat_env: LifeboatEnv,
) -> None:
    from shared.azure.disks import Snapshot, get_snapshot

    _seed_disk(lifeboat_env)
    action = SnapshotDisk(SNAPSHOT, "eastus", source=DISK)

    started = execute(lifeboat_env.clients, lifeboat_env.settings, action, wait=False)

    assert isinstance(started, Snapshot)
    assert started.provisioning_state.lower() != "succeeded"  # as the PUT answered
    assert [e.method for e in lifeboat_env.arm.log.entries()] == ["PUT"]  # no poll, no GET
    lifeboat_env.arm.clock.advance(120)  # the next pass comes after the shortest copy poll
    from shared.arm_id import ResourceId

    found = get_snapshot(lifeboat_env.clients, ResourceId.parse(SNAPSHOT))
    assert found is not None and found.provisioning_state == "Succeeded"


def test_the_default_execute_still_waits_for_the_snapshot(lifeboat_env: LifeboatEnv) -> None:
    """VM protection and outage execution call execute() as before: the create is awaited."""
    from shared.azure.disks import Snapshot

    _seed_disk(lifeboat_env)
    action = SnapshotDisk(SNAPSHOT, "eastus", source=DISK)

    done = execute(lifeboat_env.clients, lifeboat_env.settings, action)

    assert isinstance(done, Snapshot) and done.provisioning_state == "Succeeded"
    assert len([e for e in lifeboat_env.arm.log.entries() if e.method == "GET"]) >= 1


def test_a_managed_image_protection_polls_only_its_deletes(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("app", ("ManagedImage",))))
    start_run(lifeboat_env, "app")
    arm.clock.advance(3600)
    arm.log.clear()

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("app")))
        assert d.run() is True

    from shared.bootstrap import get_deps

    assert {j.state for j in get_deps().jobs.list()} == {JobState.SUCCEEDED}
    entries = arm.log.entries()
    quick = [
        e for e in entries
        if e.method == "PUT" and any(t in e.path for t in ("/snapshots/", "/images/", "/disks/"))
    ]  # fmt: skip
    assert len(quick) >= 4, "staging snapshot, temporary disk, definitions, DR image"
    polled_after: list[str] = []
    last = ("", "")
    for e in entries:
        if _poll(e.path):
            polled_after.append(f"{last[0]} {last[1]}")
            assert _awaited(*last), f"a poll after {last[0]} {last[1]}"
        elif e.method != "GET":
            last = (e.method, e.path)
    assert polled_after, "the deletes are still awaited"


def test_a_quick_create_that_fails_to_provision_fails_the_protection_and_cleans_up(
    lifeboat_env: LifeboatEnv,
) -> None:
    """Not awaited, a failed provisioning shows on the next read: no endless wait on it."""
    from shared.bootstrap import get_deps

    arm = lifeboat_env.arm
    arm.seed(estate(template("app", ("ManagedImage",))))
    start_run(lifeboat_env, "app")
    arm.clock.advance(3600)
    arm.faults.fail_operations(1.0, count=1, methods=("PUT",), path_contains="/snapshots/")

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("app")))
        assert d.run() is True

    (job,) = get_deps().jobs.list(kind="image_replication")
    assert job.state is JobState.FAILED
    assert "staging snapshot" in (job.reason or "")
    assert "provisioning state Failed" in (job.reason or "")
    snapshots = [r["id"] for r in resources(arm, "Microsoft.Compute/snapshots")]
    assert [s for s in snapshots if "-src-" in s] == []  # the failed staging snapshot went
