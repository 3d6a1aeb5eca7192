"""Drill probes (pure parts), per-tier RTO targets in the evidence, and their settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.config import load_settings
from shared.drills import evidence
from shared.drills.probes import (
    check_url_template,
    command_output,
    judge_command,
    target_url,
)
from shared.drills.spec import DrillVm
from shared.drills.validation import PROBES, Reading, judge, probe_named
from shared.errors import ConfigurationError, InvalidInput

T0 = datetime(2030, 1, 1, tzinfo=UTC)
UP = Reading(True, "Succeeded", "running", "Available")
VM = "/subscriptions/s/resourceGroups/lifeboat-dr/providers/Microsoft.Compute/virtualMachines"

# The published example's shape (runCommandExamples/VirtualMachineRunCommand.json, Windows).
WINDOWS = [
    {"code": "ComponentStatus/StdOut/succeeded", "level": "Info", "message": "app ready"},
    {"code": "ComponentStatus/StdErr/succeeded", "level": "Info", "message": ""},
]
LINUX_OK = [
    {
        "code": "ProvisioningState/succeeded",
        "message": "Enable succeeded: \n[stdout]\nok\n[stderr]\n",
    }
]
LINUX_EXIT_3 = [
    {
        "code": "ProvisioningState/failed/3",
        "message": "Enable failed: failed to execute command: command terminated with exit "
        "status=3\n[stdout]\nok\n[stderr]\nboom\n",
    }
]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.upper().startswith(("LIFEBOAT_", "AZUREWEBJOBSSTORAGE")):
            monkeypatch.delenv(key)


@pytest.mark.parametrize(
    "template",
    [
        "http://10.0.0.4:8080/healthz",  # a fixed host: the probe must only reach the VM
        "http://{ip}.evil.example/healthz",
        "http://user:pw@{ip}/healthz",  # no credentials
        "ftp://{ip}/x",
        "http://{ip}/healthz?key=secret",  # no keys in URLs
        "http://{ip}:8080/{ip}",
    ],
)
def test_a_url_template_must_target_the_vms_own_ip(template: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_url_template(template)
    assert caught.value.field == "probe.url"


def test_the_target_url_is_the_vms_private_ip_and_nothing_else() -> None:
    assert target_url("https://{ip}:8443/health", "10.250.0.4") == "https://10.250.0.4:8443/health"
    for ip in ("8.8.8.8", "169.254.169.254", "169.254.169.254x", "fd00::1", "example.com"):
        with pytest.raises(InvalidInput) as caught:
            target_url("http://{ip}/", ip)
        assert caught.value.field == "probe.ip"


def test_run_command_output_of_both_shapes() -> None:
    assert command_output(WINDOWS) == (False, "app ready", "")
    assert command_output(LINUX_OK) == (False, "ok", "")
    assert command_output(LINUX_EXIT_3) == (True, "ok", "boom\n")


def test_a_run_command_passes_when_it_ran_and_its_stdout_matches() -> None:
    assert judge_command("RunPowerShellScript", WINDOWS, r"^app ready$").ok is True
    missed = judge_command("RunPowerShellScript", WINDOWS, r"^healthy$")
    assert missed.ok is False and "does not match" in missed.evidence
    failed = judge_command("RunShellScript", LINUX_EXIT_3, "ok")
    assert failed.ok is False and "failed" in failed.evidence and "boom" in failed.evidence
    assert judge_command("RunShellScript", LINUX_OK, "").ok is True
    assert judge_command("RunShellScript", [], "").ok is False


def test_every_named_probe_exists_and_a_probe_failure_fails_the_vm() -> None:
    assert sorted(PROBES) == ["http", "none", "run-command"]
    for name in PROBES:
        assert callable(probe_named(name.upper()))
    with pytest.raises(InvalidInput):
        probe_named("ping")
    bad = Reading(
        True, "Succeeded", "running", "Available", probe="GET ...: HTTP 503", probe_ok=False
    )
    verdict = judge("vm", bad, T0, T0 + timedelta(minutes=15), timedelta(minutes=15))
    assert verdict.reason.endswith("probe failing")
    assert verdict.to_json()["evidence"]["probe"] == "GET ...: HTTP 503"


def test_tier_targets_give_each_tier_and_the_drill_met_or_missed() -> None:
    vms = [
        DrillVm(f"{VM}/a", "src-a", "critical", 900.0),
        DrillVm(f"{VM}/b", "src-b", "standard", 3600.0),
        DrillVm(f"{VM}/c", "src-c", "standard", 3600.0),
        DrillVm(f"{VM}/d", "src-d"),
    ]
    seen = {"a": 1000, "b": 600, "c": 1200, "d": 50}
    validations = {
        f"{VM}/{n}".lower(): judge(
            n, UP, T0, T0 + timedelta(seconds=s), timedelta(hours=2)
        ).to_json()
        for n, s in seen.items()
    }
    data = {"drill_id": "ab12cd34", "plan_id": "p", "scope": "all", "validations": validations}
    doc = evidence.build(data, vms, T0, T0 + timedelta(hours=1), {"complete": True})
    assert doc["rtoSeconds"] == 1200.0 and doc["rtoTargetSeconds"] == 900.0
    assert doc["rtoMet"] is False
    assert doc["tiers"]["critical"] == {
        "vms": 1,
        "rtoSeconds": 1000.0,
        "rtoTargetSeconds": 900.0,
        "rtoMet": False,
    }
    assert doc["tiers"]["standard"]["rtoSeconds"] == 1200.0
    assert doc["tiers"]["standard"]["rtoMet"] is True
    assert doc["tiers"][""]["rtoMet"] is None
    meta = evidence.metadata(doc)
    assert (meta["rtoseconds"], meta["rtotargetseconds"], meta["rtomet"]) == (
        "1200.0",
        "900.0",
        "false",
    )


def test_a_tier_with_a_vm_never_validated_missed_its_target() -> None:
    vms = [DrillVm(f"{VM}/a", "src-a", "critical", 900.0)]
    data = {"drill_id": "ab12cd34", "validations": {}}
    doc = evidence.build(data, vms, T0, T0 + timedelta(hours=1), {})
    assert doc["tiers"]["critical"]["rtoMet"] is False and doc["rtoMet"] is False


def test_tier_rto_targets_setting_is_minutes_per_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFEBOAT_TIER_RTO_TARGETS", "Critical=15, standard=60")
    assert load_settings().tier_rto_target_seconds() == {"critical": 900.0, "standard": 3600.0}
    monkeypatch.setenv("LIFEBOAT_TIER_RTO_TARGETS", "critical=soon")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.setting == "LIFEBOAT_TIER_RTO_TARGETS"


def test_probe_settings_are_checked_and_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE", "http")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.setting == "LIFEBOAT_DRILL_PROBE_URL"
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE_URL", "http://metadata.internal/{ip}")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.setting == "LIFEBOAT_DRILL_PROBE_URL"
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE_URL", "http://{ip}:8080/healthz")
    assert load_settings().drill_probe_url == "http://{ip}:8080/healthz"
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE", "run-command")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.setting == "LIFEBOAT_DRILL_PROBE_SCRIPT"
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE_SCRIPT", '["systemctl is-active app", "echo done"]')
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE_EXPECT", "(")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.setting == "LIFEBOAT_DRILL_PROBE_EXPECT"
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE_EXPECT", "^active$")
    settings = load_settings()
    assert settings.drill_probe_script == ("systemctl is-active app", "echo done")
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE", "telnet")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.setting == "LIFEBOAT_DRILL_PROBE"
