"""The RPO ledger of GET /api/status through the real entry point, on the emulator and Azurite:
images, VMs and templates in one shape, totals that add up, the primary region down, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.functions.timer import TimerRequest

from functions.reconcile import reconcile
from functions.resource_events import on_resource_event
from shared import bootstrap
from shared.jobs.clock import ManualClock
from tests.functions.test_status_endpoint import get
from tests.plugins.arm import LifeboatEnv
from tests.support.images import build_event, driver, estate, grid_event, start_run, template
from tests.support.vms import tagged_vm, vm_id

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def protect_everything(env: LifeboatEnv) -> None:
    """An image template with a finished build, a tagged VM; the timer and the jobs run."""
    seeded = estate(template("web", ("SharedImage",)))
    seeded["resources"].append(tagged_vm("vm1", data_disks=1))
    env.arm.seed(seeded)
    start_run(env, "web")
    with driver(env.arm) as d:
        on_resource_event(grid_event(build_event("web")))
        reconcile(TimerRequest(past_due=True))  # VM discovery + its first set, template backup
        assert d.run() is True
    reconcile(TimerRequest(past_due=True))  # inventory now sees the finished set


def by_kind(body: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for item in body["ledger"]["items"]:
        out.setdefault(item["kind"], []).append(item)
    return out


def test_every_protected_item_is_in_one_shape_with_totals_that_add_up(
    lifeboat_env: LifeboatEnv,
) -> None:
    protect_everything(lifeboat_env)

    code, body = get({"templates": "false"})

    assert code == 200
    kinds = by_kind(body)
    assert set(kinds) == {"image_build", "vm", "template"}
    (vm,) = kinds["vm"]
    assert vm["id"].lower() == vm_id("vm1").lower()
    assert vm["state"] == "ok"
    assert vm["target_rpo_seconds"] == 24 * 3600  # the default schedule PT24H
    assert vm["target_source"].startswith("schedule PT24H")
    assert 0 <= vm["achieved_rpo_seconds"] < vm["target_rpo_seconds"]
    (build,) = kinds["image_build"]
    assert build["name"] == "web" and build["state"] == "ok"
    assert build["recovery_point"] is not None
    assert {t["name"] for t in kinds["template"]} == {"web"}  # the image template's backup
    for item in body["ledger"]["items"]:
        assert set(item) == {
            "kind", "id", "name", "recovery_point", "achieved_rpo_seconds",
            "target_rpo_seconds", "target_source", "state", "findings",
        }  # fmt: skip
    totals = body["ledger"]["totals"]
    assert totals["items"] == len(body["ledger"]["items"]) == 3
    assert sum(totals["by_state"].values()) == sum(totals["by_kind"].values()) == 3
    assert totals["by_state"]["ok"] == 3
    assert body["ledger"]["continuation"] is None


def test_ages_past_the_target_turn_at_risk_then_breached_worst_first(
    lifeboat_env: LifeboatEnv,
) -> None:
    protect_everything(lifeboat_env)
    _, body = get({"templates": "false"})
    (vm,) = by_kind(body)["vm"]
    point = datetime.fromisoformat(vm["recovery_point"])

    bootstrap.configure(clock=ManualClock(point + timedelta(hours=20)))  # 20 h of 24 h used
    _, later = get({"templates": "false"})
    states = {i["kind"]: i["state"] for i in later["ledger"]["items"]}
    assert states["vm"] == "at_risk"
    assert states["image_build"] == "ok"  # target 168 h

    bootstrap.configure(clock=ManualClock(point + timedelta(hours=50)))
    _, much_later = get({"templates": "false"})
    items = much_later["ledger"]["items"]
    states = {i["kind"]: i["state"] for i in items}
    assert states == {"vm": "breached", "template": "breached", "image_build": "ok"}
    assert [i["state"] for i in items] == ["breached", "breached", "ok"]  # worst first
    assert much_later["ledger"]["totals"]["by_state"] == {
        "ok": 1, "at_risk": 0, "breached": 2, "unprotected": 0,
    }  # fmt: skip


def test_the_ledger_answers_with_the_primary_region_down(lifeboat_env: LifeboatEnv) -> None:
    protect_everything(lifeboat_env)
    _, before = get({"templates": "false"})
    lifeboat_env.arm.faults.region_down("eastus")
    lifeboat_env.arm.log.clear()

    code, body = get({"templates": "false"})

    assert code == 200
    strip = [
        {k: v for k, v in i.items() if k != "achieved_rpo_seconds"} for i in body["ledger"]["items"]
    ]
    assert strip == [
        {k: v for k, v in i.items() if k != "achieved_rpo_seconds"}
        for i in before["ledger"]["items"]
    ]
    assert lifeboat_env.arm.log.entries() == []  # DR-region storage only: no ARM call


def test_a_tagged_vm_that_cannot_be_protected_is_unprotected_with_what_to_fix(
    lifeboat_env: LifeboatEnv,
) -> None:
    lifeboat_env.arm.seed({"resources": [tagged_vm("odd", mode="sometimes", data_disks=0)]})
    reconcile(TimerRequest(past_due=True))

    code, body = get({"templates": "false"})

    assert code == 200
    (vm,) = by_kind(body)["vm"]
    assert vm["state"] == "unprotected" and vm["recovery_point"] is None
    assert vm["findings"] and "lifeboat-mode" in vm["findings"][0]["action"]
    assert body["ledger"]["totals"]["by_state"]["unprotected"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"continuation": "not-a-token"}, "continuation"),
        ({"continuation": "eyJvIjogLTF9"}, "continuation"),  # {"o": -1}
    ],
)
def test_bad_paging_input_is_a_400_naming_the_field(
    lifeboat_env: LifeboatEnv, params: dict[str, str], field: str
) -> None:
    code, body = get({"templates": "false", **params})
    assert code == 400
    assert body["error"].startswith(f"{field}:")


def test_thousands_of_items_page_through_exactly_once_with_totals_over_all(
    lifeboat_env: LifeboatEnv,
) -> None:
    from shared.arm_id import ResourceId
    from shared.templates.backup import Pointer
    from shared.vms.records import write_inventory
    from tests.support.fakes import InMemoryBackupStore, InMemoryRecordStore

    start = datetime(2030, 1, 10, tzinfo=UTC)
    backups, records = InMemoryBackupStore(), InMemoryRecordStore()
    base = f"/subscriptions/{lifeboat_env.subscription}/resourceGroups/app/providers"
    for n in range(2000):
        tid = ResourceId.parse(f"{base}/Microsoft.VirtualMachineImages/imageTemplates/t{n:04}")
        age = timedelta(hours=n % 60)  # 0..59 h against a 48 h target
        assert backups.write_pointer(
            tid, Pointer(str(tid), f"h{n}", start - age, "2024-02-01"), None
        )
    vms = [
        {"vm_id": f"{base}/Microsoft.Compute/virtualMachines/v{n}", "name": f"v{n}",
         "rpo_seconds": 86400.0, "schedule": "PT24H"}
        for n in range(500)
    ]  # fmt: skip
    write_inventory(records, {"protected": vms, "refused": []})  # no set yet: unprotected
    bootstrap.configure(clock=ManualClock(start), backups=backups, records=records)

    seen: list[dict[str, Any]] = []
    token: str | None = None
    pages = 0
    while True:
        code, body = get(
            {"templates": "false", "limit": "700", **({"continuation": token} if token else {})}
        )
        assert code == 200
        seen.extend(body["ledger"]["items"])
        pages += 1
        token = body["ledger"]["continuation"]
        if token is None:
            break

    assert pages == 4
    assert len(seen) == len({(i["kind"], i["id"]) for i in seen}) == 2500
    totals = body["ledger"]["totals"]
    assert totals["items"] == 2500 == sum(totals["by_state"].values())
    assert totals["by_kind"] == {"template": 2000, "vm": 500}
    breached = sum(1 for n in range(2000) if n % 60 > 48)
    at_risk = sum(1 for n in range(2000) if 48 * 0.8 < n % 60 <= 48)
    assert totals["by_state"] == {
        "ok": 2000 - breached - at_risk, "at_risk": at_risk,
        "breached": breached, "unprotected": 500,
    }  # fmt: skip
    order = {"breached": 0, "unprotected": 1, "at_risk": 2, "ok": 3}
    ranks = [order[i["state"]] for i in seen]
    assert ranks == sorted(ranks)  # worst first across pages
