"""DR placement: every DR write lands in a resource group located in its DR region.

Against the ARM emulator's resource-groups provider, through the real SDK: a missing DR group
is created in the DR region before the first DR write; a group located elsewhere fails the
write (and the job) naming the group, its location, the region and the setting, with nothing
written into it; `{region}` gives one group per DR region; /api/status reports the finding.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared import bootstrap
from shared.bootstrap import get_deps
from shared.engine import names as naming
from shared.engine.actions import CreateGallery
from shared.engine.executor import execute
from shared.errors import ConfigurationError
from shared.jobs import JobState
from shared.services.status import status_report
from tests.plugins.arm import LifeboatEnv
from tests.support.images import driver
from tests.support.vms import dr_snapshots, post, tagged_vm, vm_id

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _group_puts(env: LifeboatEnv) -> list[str]:
    return [
        e.path
        for e in env.arm.log.writes()
        if e.method == "PUT" and e.path.lower().rstrip("/").count("/") == 4
    ]


def _configure(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()


def test_the_first_dr_write_creates_the_missing_dr_group_in_the_dr_region_once(
    lifeboat_env: LifeboatEnv,
) -> None:
    deps, sub = get_deps(), lifeboat_env.subscription
    gallery = naming.dr_gallery_id(deps.settings, sub, "westus")
    lifeboat_env.arm.log.clear()

    execute(deps.clients, deps.settings, CreateGallery(str(gallery), "westus"))
    execute(deps.clients, deps.settings, CreateGallery(str(gallery), "westus"))

    group = lifeboat_env.arm.resource_groups.get(sub, "lifeboat-dr")
    assert group is not None and not group.implicit
    assert (group.location, group.tags) == ("westus", {"managed-by": "lifeboat"})
    assert _group_puts(lifeboat_env) == [f"/subscriptions/{sub}/resourcegroups/lifeboat-dr"]
    assert lifeboat_env.arm.state.get(str(gallery)) is not None


def test_a_dr_group_located_elsewhere_refuses_the_write_and_writes_nothing(
    lifeboat_env: LifeboatEnv,
) -> None:
    deps, sub = get_deps(), lifeboat_env.subscription
    lifeboat_env.arm.resource_groups.create(sub, "lifeboat-dr", "eastus")
    gallery = naming.dr_gallery_id(deps.settings, sub, "westus")
    lifeboat_env.arm.log.clear()

    with pytest.raises(ConfigurationError) as err:
        execute(deps.clients, deps.settings, CreateGallery(str(gallery), "westus"))

    assert err.value.setting == "LIFEBOAT_DR_RESOURCE_GROUP"
    for part in ("'lifeboat-dr'", "located in eastus", "for westus", "{region}"):
        assert part in str(err.value)
    assert lifeboat_env.arm.log.writes() == []
    assert lifeboat_env.arm.state.get(str(gallery)) is None


def test_deletes_never_create_a_dr_group(lifeboat_env: LifeboatEnv) -> None:
    from shared.engine.actions import DeleteSnapshot

    deps, sub = get_deps(), lifeboat_env.subscription
    snapshot = naming.dr_snapshot_id(deps.settings, naming_source(sub), "os", "westus")
    execute(deps.clients, deps.settings, DeleteSnapshot(str(snapshot), ""))
    assert lifeboat_env.arm.resource_groups.get(sub, "lifeboat-dr") is None


def naming_source(sub: str) -> Any:
    from shared.arm_id import ResourceId

    return ResourceId.parse(
        f"/subscriptions/{sub}/resourceGroups/images/providers/Microsoft.Compute/images/web"
    )


def test_vm_protection_with_a_misplaced_dr_group_fails_naming_it_and_copies_nothing(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm, sub = lifeboat_env.arm, lifeboat_env.subscription
    arm.resource_groups.create(sub, "lifeboat-dr", "eastus")
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    status, _ = post({"vmId": vm_id("web1")})
    assert status == 202

    with driver(arm) as d:
        d.run()

    (job,) = get_deps().jobs.list(kind="vm_protection")
    assert job.state is JobState.FAILED
    assert "LIFEBOAT_DR_RESOURCE_GROUP" in job.reason and "located in eastus" in job.reason
    assert dr_snapshots(arm) == []
    assert arm.state.ids(scope=f"/subscriptions/{sub}/resourceGroups/lifeboat-dr") == []


def test_with_region_in_the_name_each_dr_region_gets_its_own_group_there(
    lifeboat_env: LifeboatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(
        monkeypatch,
        LIFEBOAT_PRIMARY_REGIONS="eastus,westeurope",
        LIFEBOAT_DR_RESOURCE_GROUP="lifeboat-dr-{region}",
    )
    arm, sub = lifeboat_env.arm, lifeboat_env.subscription
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    status, _ = post({"vmId": vm_id("web1")})
    assert status == 202

    with driver(arm) as d:
        assert d.run() is True

    group = arm.resource_groups.get(sub, "lifeboat-dr-westus")
    assert group is not None and group.location == "westus"
    assert arm.resource_groups.get(sub, "lifeboat-dr") is None
    scope = f"/subscriptions/{sub}/resourceGroups/lifeboat-dr-westus"
    copies = arm.state.list("Microsoft.Compute/snapshots", scope)
    assert len(copies) == 2 and {c["location"] for c in copies} == {"westus"}
    assert dr_snapshots(arm) == []  # nothing in the plain lifeboat-dr


def test_status_reports_a_misplaced_dr_group_as_a_finding(
    lifeboat_env: LifeboatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(
        monkeypatch,
        LIFEBOAT_PRIMARY_REGIONS="eastus,westeurope",
        LIFEBOAT_DR_RESOURCE_GROUP="lifeboat-dr-{region}",
    )
    sub = lifeboat_env.subscription
    lifeboat_env.arm.resource_groups.create(sub, "lifeboat-dr-westus", "westus")
    lifeboat_env.arm.resource_groups.create(sub, "lifeboat-dr-northeurope", "westeurope")

    placement = status_report(get_deps(), include=frozenset({"placement"}))["placement"]

    states = {g["resourceGroup"]: g["state"] for g in placement["groups"]}
    assert states == {"lifeboat-dr-northeurope": "wrong_location", "lifeboat-dr-westus": "ok"}
    (finding,) = placement["findings"]
    assert finding["code"] == "dr_group_wrong_location"
    assert (finding["location"], finding["drRegion"]) == ("westeurope", "northeurope")
    assert finding["setting"] == "LIFEBOAT_DR_RESOURCE_GROUP"
    assert lifeboat_env.arm.log.writes() == []
