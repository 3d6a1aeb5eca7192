"""Resource Graph queries through the real ResourceGraphClient, over a seeded estate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from tests.plugins.arm import LifeboatEnv

pytestmark = pytest.mark.emulator

DEMO = Path(__file__).resolve().parents[2] / "emulator" / "estates" / "demo.json"
OTHER_SUB = "00000000-0000-0000-0000-0000000000ff"
VMS = "resources | where type =~ 'microsoft.compute/virtualmachines'"


def seed_vms(env: LifeboatEnv, count: int, sub: str | None = None, tag: bool = True) -> None:
    base = f"/subscriptions/{sub or env.subscription}/resourceGroups/App/providers"
    resources = [
        {
            "id": f"{base}/Microsoft.Compute/virtualMachines/vm{n:02d}",
            "location": "East US",
            "tags": {"lifeboat-protect": "true"} if tag else {},
            "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}},
        }
        for n in range(count)
    ]
    env.arm.seed({"resources": resources})


def query(env: LifeboatEnv, text: str, subs: list[str] | None = None, **options: Any) -> Any:
    request = QueryRequest(
        subscriptions=subs if subs is not None else [env.subscription],
        query=text,
        options=QueryRequestOptions(**options) if options else None,
    )
    return env.clients.resource_graph().resources(request)


def test_rows_have_arg_shape_with_lower_cased_type_group_and_location(
    lifeboat_env: LifeboatEnv,
) -> None:
    seed_vms(lifeboat_env, 1)
    result = query(lifeboat_env, "resources | where type =~ 'Microsoft.Compute/virtualMachines'")
    assert (result.total_records, result.count, result.result_truncated) == (1, 1, "false")
    row = result.data[0]
    assert row["type"] == "microsoft.compute/virtualmachines"
    assert (row["resourceGroup"], row["location"]) == ("app", "eastus")
    assert row["subscriptionId"] == lifeboat_env.subscription
    assert row["id"].endswith(
        "/resourceGroups/App/providers/Microsoft.Compute/virtualMachines/vm00"
    )
    assert row["properties"]["hardwareProfile"]["vmSize"] == "Standard_D2s_v5"
    assert result.skip_token is None and result.facets == []


def test_protected_vm_query_with_projection_and_order(lifeboat_env: LifeboatEnv) -> None:
    seed_vms(lifeboat_env, 3)
    untagged = f"/subscriptions/{lifeboat_env.subscription}/resourceGroups/x/providers/"
    lifeboat_env.arm.seed(
        {
            "resources": [
                {"id": untagged + "Microsoft.Compute/virtualMachines/plain", "location": "eastus"}
            ]
        }
    )
    text = (
        "resources | where type =~ 'microsoft.compute/virtualmachines' "
        "and tostring(tags['lifeboat-protect']) =~ 'true' "
        "| project id, name, size=properties.hardwareProfile.vmSize | order by name asc"
    )
    rows = query(lifeboat_env, text).data
    assert [r["name"] for r in rows] == ["vm00", "vm01", "vm02"]
    assert set(rows[0]) == {"id", "name", "size"} and rows[0]["size"] == "Standard_D2s_v5"


def test_subscriptions_in_the_body_scope_the_query(lifeboat_env: LifeboatEnv) -> None:
    seed_vms(lifeboat_env, 2)
    seed_vms(lifeboat_env, 1, sub=OTHER_SUB)
    text = f"{VMS} | project id, subscriptionId"
    assert query(lifeboat_env, text).total_records == 2
    assert query(lifeboat_env, text, subs=[OTHER_SUB]).total_records == 1
    both = [lifeboat_env.subscription, OTHER_SUB]
    filtered = query(lifeboat_env, f"{VMS} and subscriptionId in ('{OTHER_SUB}')", subs=both)
    assert filtered.total_records == 1


def test_paging_with_skip_token_returns_every_row_once(lifeboat_env: LifeboatEnv) -> None:
    seed_vms(lifeboat_env, 7)
    text = f"{VMS} | project id, name | order by name asc"
    seen: list[str] = []
    token = None
    for _ in range(10):
        options: dict[str, Any] = {"top": 3}
        if token:
            options["skip_token"] = token
        page = query(lifeboat_env, text, **options)
        assert page.total_records == 7
        seen += [r["name"] for r in page.data]
        token = page.skip_token
        if not token:
            break
    assert seen == [f"vm{n:02d}" for n in range(7)]


def test_without_an_id_column_results_are_truncated_not_paged(lifeboat_env: LifeboatEnv) -> None:
    seed_vms(lifeboat_env, 5)
    page = query(lifeboat_env, f"{VMS} | project name", top=2)
    assert (page.count, page.result_truncated, page.skip_token) == (2, "true", None)


def test_table_result_format(lifeboat_env: LifeboatEnv) -> None:
    seed_vms(lifeboat_env, 2)
    page = query(lifeboat_env, f"{VMS} | project name | order by name asc", result_format="table")
    assert page.data["columns"] == [{"name": "name", "type": "string"}]
    assert page.data["rows"] == [["vm00"], ["vm01"]]


@pytest.mark.parametrize(
    "text",
    [
        "resources | join (resources) on id",
        "resources | where Type == 'x'",
        "resources | where type = 'x'",
        "resourcecontainers | take 1",
    ],
)
def test_unsupported_syntax_is_a_400_invalid_query(lifeboat_env: LifeboatEnv, text: str) -> None:
    with pytest.raises(HttpResponseError) as err:
        query(lifeboat_env, text)
    assert err.value.status_code == 400
    assert err.value.error.code == "BadRequest"
    assert err.value.error.details[0].code == "InvalidQuery"


def test_demo_estate_answers_the_protected_vm_question(lifeboat_env: LifeboatEnv) -> None:
    ids = lifeboat_env.arm.seed(DEMO)
    sub = ids[0].split("/")[2]
    text = (
        "resources | where type =~ 'microsoft.compute/virtualmachines' "
        "and tags['lifeboat-protect'] =~ 'true' | project id, name, location | order by name asc"
    )
    rows = query(lifeboat_env, text, subs=[sub]).data
    assert [(r["name"], r["location"]) for r in rows] == [
        ("web-01", "eastus"),
        ("web-02", "eastus"),
    ]
    templates = query(
        lifeboat_env,
        "resources | where type =~ 'Microsoft.VirtualMachineImages/imageTemplates' | project id",
        subs=[sub],
    )
    assert templates.total_records == 3
    groups = query(lifeboat_env, "resources | where type contains 'resourcegroups'", subs=[sub])
    assert groups.total_records == 0  # resource groups live in ResourceContainers


def test_summarize_counts_by_key_and_extend_adds_columns(lifeboat_env: LifeboatEnv) -> None:
    seed_vms(lifeboat_env, 3)
    seed_vms(lifeboat_env, 1, tag=False)
    result = query(
        lifeboat_env,
        VMS + " | extend protected = tostring(tags['lifeboat-protect']) "
        "| summarize vms = count(), dcount(name) by protected | order by protected asc",
    )
    assert result.data == [
        {"protected": "", "vms": 1, "dcount_name": 1},
        {"protected": "true", "vms": 2, "dcount_name": 2},
    ]
