"""What must stay true of the deployment: where it runs, on what, and what guards the DR copies."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from tests.infra.bicep import (
    ROOT,
    accessor_path,
    function_call,
    main_scope,
    only_call,
    only_resource,
    walk,
)

MAIN = main_scope()
APP = only_call(MAIN, "modules/function-app.bicep")
DR = only_call(MAIN, "modules/storage-dr.bicep")
SCOPE = only_call(MAIN, "modules/subscription-scope.bicep")
ALERTS = only_call(SCOPE, "subscription-resources.bicep")
HOOKS = yaml.safe_load((ROOT / "azure.yaml").read_text())["hooks"]


def _hook(name: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = HOOKS[name]["posix"]
    assert script["shell"] == "sh" and script["continueOnError"] is False
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "LIFEBOAT_"))}
    return subprocess.run(
        ["sh", "-c", script["run"]],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("location", "primaries"),
    [
        ("westeurope", '["eastus","westeurope"]'),
        ("WestEurope", '["West Europe"]'),
        ("eastus", "eastus,westeurope"),
    ],
)
def test_preprovision_refuses_a_primary_region_as_the_dr_location(
    location: str, primaries: str
) -> None:
    done = _hook("preprovision", AZURE_LOCATION=location, LIFEBOAT_PRIMARY_REGIONS=primaries)
    assert done.returncode == 1
    assert "is one of LIFEBOAT_PRIMARY_REGIONS" in done.stderr


@pytest.mark.parametrize(
    ("location", "primaries"),
    [("swedencentral", '["westeurope"]'), ("eastus2", '["eastus"]'), ("", '["eastus"]')],
)
def test_preprovision_lets_a_region_outside_the_primaries_through(
    location: str, primaries: str
) -> None:
    done = _hook("preprovision", AZURE_LOCATION=location, LIFEBOAT_PRIMARY_REGIONS=primaries)
    assert done.returncode == 0, done.stderr


def test_every_preprovision_shell_runs_the_same_check() -> None:
    windows = HOOKS["preprovision"]["windows"]
    assert windows["shell"] == "pwsh" and windows["continueOnError"] is False
    for word in ("AZURE_LOCATION", "LIFEBOAT_PRIMARY_REGIONS", "-contains", "exit 1"):
        assert word in windows["run"]


def _locations_bicep_refuses(location: str, primaries: list[str]) -> bool:
    """main.bicep's guard in Python: ARM's string() of an array is compact JSON."""
    text = json.dumps(primaries, separators=(",", ":")).replace(" ", "").lower()
    return f'"{location.replace(" ", "").lower()}"' in text


def test_bicep_refuses_a_primary_region_for_deployments_made_without_azd() -> None:
    rg = only_resource(MAIN, "Microsoft.Resources/resourceGroups")
    assert rg["location"] == "guardedLocation"
    guard = MAIN.section("variables")["guardedLocation"]["value"]["operator"]["operands"]
    assert guard["condition"] == "locationIsPrimary" and guard["false_value"] == "location"
    assert "dr-region" in guard["true_value"], "ARM quotes the refused location in its error"
    expression = json.dumps([MAIN.section("variables")[v] for v in ("locationIsPrimary",
        "normalizedLocation", "primaryRegionsText")])  # fmt: skip
    for word in ("contains", "to_lower", "primaryRegions", '\\"${normalizedLocation}\\"'):
        assert word in expression, word
    assert _locations_bicep_refuses("westeurope", ["eastus", "westeurope"])
    assert not _locations_bicep_refuses("eastus", ["eastus2"]), "quotes keep eastus2 apart"


def test_predown_refuses_until_the_operator_accepts_losing_the_dr_copies() -> None:
    refused = _hook("predown")
    assert refused.returncode == 1 and "DR resource group" in refused.stderr
    assert _hook("predown", LIFEBOAT_DOWN_DELETES_DR_COPIES="true").returncode == 0


def test_one_dr_resource_group_per_dr_region_is_created_there_in_every_subscription() -> None:
    resources = SCOPE.section("resources")
    loop = resources["drRgs"]["config"]["loop_type"]["detail"]
    assert (loop["item_name"], loop["array_name"]) == ("region", "drRegions")
    dr_group = dict(SCOPE.resources("Microsoft.Resources/resourceGroups"))["drRgs"]
    assert dr_group["location"] == "region", "each group is located in its DR region"
    assert function_call(dr_group["name"]) == (
        "replace",
        {
            "original_string": "drResourceGroupName",
            "old_string": "{region}",
            "new_string": "region",
        },
    )
    assert SCOPE.resolve("drResourceGroupName") == "lifeboat-dr"
    call = MAIN.section("modules")["subscriptionScopes"]["config"]
    assert call["loop_type"]["detail"]["array_name"] == "scopeSubscriptionIds"
    assert call["config"]["params"]["location"] == "location", "the DR region"
    assert call["config"]["params"]["drRegions"] == "drRegionList"
    # No drRegions given: the deployment location (the DR region) alone.
    chosen = MAIN.section("variables")["drRegionList"]["value"]["operator"]["operands"]
    assert chosen["false_value"] == "drRegions" and chosen["true_value"] == ["location"]
    settings = {e["name"]: e["value"] for e in MAIN.resolve("lifeboatSettings")}
    assert settings["LIFEBOAT_DR_RESOURCE_GROUP"] == SCOPE.resolve("drResourceGroupName")


def _site() -> dict[str, Any]:
    return only_resource(APP, "Microsoft.Web/sites")


def test_the_function_runtime_is_the_python_pyproject_requires() -> None:
    runtime = _site()["properties"]["functionAppConfig"]["runtime"]
    assert runtime["name"] == "python"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    requires = SpecifierSet(pyproject["project"]["requires-python"])
    major, minor = (int(p) for p in runtime["version"].split("."))
    assert f"{major}.{minor}.0" in requires and f"{major}.{minor + 1}.0" not in requires
    assert f"{major}.{minor - 1}.99" not in requires, "the runtime must be the only minor allowed"
    workflow = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    assert workflow.count(f'python-version: "{runtime["version"]}"') == 2, "CI tests the same"


def test_the_app_runs_on_flex_consumption() -> None:
    plan = only_resource(APP, "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True and plan["kind"] == "functionapp"
    site = _site()
    assert site["kind"] == "functionapp,linux"
    assert accessor_path(site["properties"]["serverFarmId"]) == ["plan", "id"]


def test_the_app_has_a_system_assigned_identity_and_rbac_grants_it() -> None:
    assert _site()["identity"] == {"type": "SystemAssigned"}
    output = APP.section("outputs")["principalId"]["value"]
    assert accessor_path(output) == ["site", "identity", "principalId"]
    rbac = MAIN.section("modules")["rbac"]["config"]["params"]["functionPrincipalId"]
    assert accessor_path(rbac) == ["functionApp", "outputs", "principalId"]


def test_dr_blobs_keep_versions_and_soft_delete() -> None:
    service = only_resource(DR, "Microsoft.Storage/storageAccounts/blobServices")
    properties = DR.resolve(service["properties"])
    assert properties["isVersioningEnabled"] is True
    for policy in ("deleteRetentionPolicy", "containerDeleteRetentionPolicy"):
        assert properties[policy]["enabled"] is True
        assert int(properties[policy]["days"]) >= 7
    assert DR.resolve("softDeleteRetentionDays") == 30


def test_previous_blob_versions_are_deleted_after_the_retention_parameter() -> None:
    policy = only_resource(DR, "Microsoft.Storage/storageAccounts/managementPolicies")
    (rule,) = DR.resolve(policy["properties"]["policy"]["rules"])
    assert rule["enabled"] is True and rule["type"] == "Lifecycle"
    assert rule["definition"]["filters"]["blobTypes"] == ["blockBlob"]
    delete = rule["definition"]["actions"]["version"]["delete"]
    assert delete["daysAfterCreationGreaterThan"] == DR.resolve("previousVersionRetentionDays")
    assert DR.resolve("previousVersionRetentionDays") == 30
    assert set(rule["definition"]["actions"]) == {"version"}, "current blobs are the app's to prune"


def test_the_service_health_regions_parameter_reaches_the_alert_condition() -> None:
    call = MAIN.section("modules")["subscriptionScopes"]["config"]["config"]["params"]
    assert "serviceHealthAlert" in json.dumps(call["regionNames"])
    assert "regionNames" in json.dumps(call["regionNames"])
    assert SCOPE.section("modules")["resources"]["config"]["params"]["regionNames"] == (
        "regionNames"
    )
    branches = ALERTS.section("variables")["regionConditions"]["value"]["operator"]["operands"]
    assert branches["true_value"] == [], "no region names: every region"
    (condition,) = branches["false_value"]
    assert condition == {
        "field": "properties.impactedServices[*].ImpactedRegions[*].RegionName",
        "containsAny": "regionNames",
    }
    rule = only_resource(ALERTS, "Microsoft.Insights/activityLogAlerts")
    assert "regionConditions" in list(walk(rule["properties"]["condition"]["allOf"]))
