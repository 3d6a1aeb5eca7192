"""Every setting the code reads is set by the infra, or has a safe default for a stated reason."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from shared.config import Settings
from tests.infra import surface
from tests.infra.bicep import INFRA, Unresolved, function_call, main_scope
from tests.infra.test_wiring import app_settings

PARAMETERS = INFRA / "main.parameters.json"

# Settings fields the infra leaves at their defaults, each with the reason that is safe in Azure.
DEFAULTS_ARE_SAFE = {
    # Outage response: every default is the cautious one (nothing runs unapproved, no posts).
    "ledger_table": "A table the code creates in the DR-region account.",
    "plans_container": "A container the code creates in the DR-region account.",
    "outage_tiers": "Empty: every tier takes outage_default_response (approve).",
    "outage_default_response": "approve: no plan executes without a person approving it.",
    "vm_create_concurrency": "450 leaves room under Compute's 500 VM PUTs/min for other tools.",
    "plan_ttl_minutes": "Four hours to approve a plan before it expires; an update re-plans it.",
    "outage_webhook_url": "Unset: no notification is posted; the plan is still made and listed.",
    "public_base_url": "Only for the approval link in webhook notifications (with the webhook).",
    "fallback_sizes": "Empty: a size missing in the DR region is a finding, not a guess.",
    "drill_window_minutes": "Half an hour to look at drill VMs before cleanup deletes them.",
    "drill_validation_timeout_minutes": "A drill VM not validated in 15 minutes fails the drill.",
    "drill_vnet_id": "Unset: each drill creates its own isolated vnet and deletes it afterwards.",
    "drill_address_space": "Private range of a drill-created vnet; isolated, so any may be used.",
    "drill_schedule": "Empty: drills run only when asked (POST /api/drills).",
    "drill_probe": "none: the platform checks; a probe needs the operator's endpoint or script.",
    "drill_probe_url": "Only with the http probe; the app's VNet integration is the operator's.",
    "drill_probe_timeout_seconds": "Five seconds for a health endpoint answering on a fresh VM.",
    "drill_probe_command_id": "Only with the run-command probe; RunShellScript for Linux VMs.",
    "drill_probe_script": "Only with the run-command probe: the operator's own check.",
    "drill_probe_expect": "Empty: any output of a command that did not fail passes.",
    "tier_rto_targets": "Empty: no target RTO is known; the evidence shows RTO without a verdict.",
    "protect_tag": "Tag names are a documented contract; override only for a tagging policy.",
    "mode_tag": "Tag name, as protect_tag.",
    "schedule_tag": "Tag name, as protect_tag.",
    "group_tag": "Tag name, as protect_tag.",
    "tier_tag": "Tag name, as protect_tag.",
    "copy_concurrency": "95 leaves room under Azure's 100 parallel CopyStarts for other tools.",
    "copies_table": "A table the code creates in the Function App's own account.",
    "vms_default_schedule": "Daily captures unless a VM's tag says otherwise: the product default.",
    "vms_keep_primary": "Retention default; each VM may override it by tag.",
    "vms_keep_dr": "Retention default, as vms_keep_primary.",
    "vms_restore_point_copy": "Off: cross-region restore-point copy is a preview feature.",
    "readiness_image_rpo_hours": "A week: images are rebuilt on their own cadence; tune it.",
    "readiness_template_rpo_hours": "Two days: the daily template sweep plus slack.",
    "readiness_at_risk_fraction": "An item is at risk at 80% of its target RPO: time to act.",
    "worker_threads": "The Python worker's thread count (32); sizes the HTTP connection pool.",
    "events_timeout_seconds": "10 s per publish; a failed publish is retried by the job backbone.",
    "activity_endpoint": "The public cloud's Log Analytics query endpoint (api.loganalytics.io).",
    "vms_settle_seconds": "VM protection tuning: coalesces a maintenance window's writes.",
    "vms_copy_poll_seconds": "VM protection tuning, sized for CopyStart durations.",
    "vms_orphan_grace_hours": "VM protection tuning: longer than any set takes to complete.",
    "replica_count": "One gallery replica per DR region is a standby copy.",
    "storage_account_type": "Standard_ZRS replicas are the product default for DR images.",
    "template_backup_retention": "Backups kept per template; the default is the product's policy.",
    "state_storage_connection_string": (
        "Azure connects with identity (AzureWebJobsStorage__accountName); a connection string "
        "would carry an account key, and shared-key access is disabled."
    ),
    "dr_storage_connection_string": "As state_storage_connection_string: identity, never keys.",
    "arm_ca_bundle": "Only for the local ARM emulator's self-signed CA; Azure uses public CAs.",
    "credential": "'default' is DefaultAzureCredential (managed identity in Azure).",
    "polling_interval_seconds": "Unset lets the SDK honour Retry-After; 0 is for the emulator.",
    "jobs_time_budget_seconds": "Job tuning sized for host.json functionTimeout (10 min).",
    "jobs_lease_seconds": "Job tuning, as jobs_time_budget_seconds.",
    "jobs_max_retries": "Job tuning, as jobs_time_budget_seconds.",
    "jobs_backoff_base_seconds": "Job tuning, as jobs_time_budget_seconds.",
    "jobs_backoff_max_seconds": "Job tuning, as jobs_time_budget_seconds.",
    "jobs_poll_seconds": "Job tuning, as jobs_time_budget_seconds.",
    "dr_gallery_name": "Gallery the code creates in the DR resource group; documented name.",
    "images_build_poll_seconds": "Image DR polling, sized for AIB builds (30-50 min).",
    "images_copy_poll_seconds": "Image DR polling, sized for CopyStart and blob copies.",
    "images_copy_poll_max_seconds": "Image DR polling cap, as images_copy_poll_seconds.",
    "images_sas_minutes": "Read-only SAS lifetime for one VHD copy; the default covers the copy.",
    "primary_storage_connection_string": (
        "Local only (Azurite): in Azure, SAS are user-delegation SAS signed with the managed "
        "identity; an account key would be a secret in the settings."
    ),
}

# What ARM renders for the settings main.bicep computes at deployment time (examples).
RENDERED_BY_ARM = {
    "LIFEBOAT_SUBSCRIPTIONS": "00000000-0000-0000-0000-000000000001,"
    "00000000-0000-0000-0000-000000000002",
    "LIFEBOAT_PRIMARY_REGIONS": "eastus,westeurope",
    "LIFEBOAT_DR_REGION_OVERRIDES": '{"westeurope":"swedencentral"}',
    "LIFEBOAT_SUBNET_MAP": '{"/subscriptions/s/resourceGroups/n/providers/Microsoft.Network/'
    'virtualNetworks/v/subnets/a":"/subscriptions/s/resourceGroups/n/providers/Microsoft.Network/'
    'virtualNetworks/v-dr/subnets/a"}',
    "LIFEBOAT_IDENTITY_MAP": "{}",
    "LIFEBOAT_CLOUD": "AzureCloud",
    "LIFEBOAT_DRY_RUN": "False",
    "LIFEBOAT_DR_STORAGE_ACCOUNT": "stdrabcdefghij123",
    "LIFEBOAT_STORAGE_ENDPOINT_SUFFIX": "core.windows.net",
    "LIFEBOAT_ARM_ENDPOINT": "https://management.azure.com/",
    "LIFEBOAT_EVENTS_ENDPOINT": "https://evgt-lifeboat-abc.westus-1.eventgrid.azure.net/api/events",
    "LIFEBOAT_ACTIVITY_WORKSPACE_ID": "63613592-b6f7-4c3d-a390-22ba13102111",
    "AzureWebJobsStorage__accountName": "stabcdefghij123",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=0000;IngestionEndpoint=https://x/",
}


def _set_by_infra() -> dict[str, Any]:
    return {k.lower(): v for k, v in app_settings().items()}


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_setting_is_set_by_the_infra_or_allowlisted_with_a_reason(field: str) -> None:
    names = surface.env_names(field)
    is_set = any(n.lower() in _set_by_infra() for n in names)
    if field in DEFAULTS_ARE_SAFE:
        assert not is_set, f"{field} is set by the infra: drop it from DEFAULTS_ARE_SAFE"
        assert len(DEFAULTS_ARE_SAFE[field]) > 10
    else:
        assert is_set, (
            f"Settings.{field} ({' or '.join(names)}) is not set by the infra: add it to "
            "lifeboatSettings in infra/main.bicep, or to DEFAULTS_ARE_SAFE in "
            "tests/infra/test_app_settings.py with the reason its default is right in Azure"
        )


def test_allowlist_names_only_real_settings() -> None:
    assert set(DEFAULTS_ARE_SAFE) <= set(Settings.model_fields)


def test_every_lifeboat_app_setting_is_a_settings_field() -> None:
    known = {n.lower() for f in Settings.model_fields for n in surface.env_names(f)}
    typos = {k for k in _set_by_infra() if k.startswith("lifeboat_") and k not in known}
    assert not typos, f"app settings no Settings field reads: {typos}"


def test_no_app_setting_carries_a_key_or_a_storage_connection_string() -> None:
    for name, value in app_settings().items():
        text = str(value).lower()
        assert "accountkey=" not in text and "sharedaccesssignature=" not in text, name
        assert name.lower() not in {
            "azurewebjobsstorage",
            "lifeboat_dr_storage_connection_string",
            "lifeboat_state_storage_connection_string",
        }, name


def test_settings_load_from_the_values_the_infra_deploys(monkeypatch: pytest.MonkeyPatch) -> None:
    deployed = app_settings()
    computed = {k for k, v in deployed.items() if isinstance(v, Unresolved) or "${" in str(v)}
    missing = computed - set(RENDERED_BY_ARM)
    assert not missing, f"add an example of what ARM renders for {missing} to RENDERED_BY_ARM"
    for name in list(os.environ):
        if name.upper().startswith(("LIFEBOAT_", "AZUREWEBJOBSSTORAGE")):
            monkeypatch.delenv(name)
    for name, value in deployed.items():
        monkeypatch.setenv(name, RENDERED_BY_ARM[name] if name in computed else str(value))
    # The example's primaries map to two DR regions: such a deployment names its DR groups
    # with {region} (drResourceGroupName; without it the app refuses to start).
    monkeypatch.setenv("LIFEBOAT_DR_RESOURCE_GROUP", "lifeboat-dr-{region}")
    settings = Settings()
    assert settings.state_storage_account == RENDERED_BY_ARM["AzureWebJobsStorage__accountName"]
    assert settings.dr_storage_account == RENDERED_BY_ARM["LIFEBOAT_DR_STORAGE_ACCOUNT"]
    assert settings.dry_run is False and settings.credential == "default"
    assert settings.primary_regions == ("eastus", "westeurope")
    assert settings.dr_region("westeurope") == "swedencentral"
    assert settings.subnet_map == json.loads(RENDERED_BY_ARM["LIFEBOAT_SUBNET_MAP"])
    assert settings.identity_map == {}


@pytest.mark.parametrize(
    ("setting", "parameter"),
    [("LIFEBOAT_SUBNET_MAP", "subnetMap"), ("LIFEBOAT_IDENTITY_MAP", "identityMap")],
)
def test_restore_maps_are_object_parameters_the_infra_keeps_across_provisions(
    setting: str, parameter: str
) -> None:
    """Every provision rewrites all app settings, so a map set by hand would be lost."""
    (entry,) = [
        e
        for e in main_scope().section("variables")["lifeboatSettings"]["value"]
        if e["name"] == setting
    ]
    assert function_call(entry["value"]) == ("string", {"value_to_convert": parameter})
    main = main_scope().section("parameters")[parameter]
    assert main["type"] == "object" and main["default"] == {}
    entry = json.loads(PARAMETERS.read_text())["parameters"][parameter]
    assert entry["value"] == "${" + setting + "={}}"
