"""Opt-in tags of a VM → a protection policy, or findings naming the tag and value."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.vms.findings import FindingCode
from shared.vms.policy import Mode, PolicyDefaults, TagNames, read_policy

SUB = "00000000-0000-0000-0000-000000000001"
VM = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web1"


def test_untagged_vm_is_not_opted_in_and_has_no_findings() -> None:
    result = read_policy(VM, {"env": "prod"})
    assert result.policy is None
    assert result.findings == ()
    assert not result.opted_in


@pytest.mark.parametrize("value", ["true", "TRUE", "On", " on "])
def test_protect_tag_accepts_true_and_on_in_any_case(value: str) -> None:
    result = read_policy(VM, {"lifeboat-protect": value})
    assert result.policy is not None
    assert result.policy.mode is Mode.SNAPSHOT
    assert result.policy.schedule.interval == timedelta(hours=24)


@pytest.mark.parametrize("value", ["false", "OFF"])
def test_protect_tag_false_or_off_opts_out_silently(value: str) -> None:
    assert read_policy(VM, {"lifeboat-protect": value}).findings == ()


def test_protect_tag_with_unknown_value_is_a_finding_not_a_silent_skip() -> None:
    result = read_policy(VM, {"lifeboat-protect": "yes"})
    assert result.policy is None
    assert result.opted_in
    (finding,) = result.findings
    assert (finding.code, finding.tag, finding.value) == (
        FindingCode.INVALID_TAG,
        "lifeboat-protect",
        "yes",
    )


def test_tag_names_match_case_insensitively_like_azure_tags() -> None:
    result = read_policy(VM, {"Lifeboat-Protect": "true", "LIFEBOAT-MODE": "Clean"})
    assert result.policy is not None
    assert result.policy.mode is Mode.CLEAN


def test_every_setting_tag_is_read() -> None:
    tags = {
        "lifeboat-protect": "on",
        "lifeboat-mode": "clean",
        "lifeboat-schedule": "0 */6 * * *",
        "lifeboat-group": "web",
        "lifeboat-tier": "gold",
        "lifeboat-keep-primary": "3",
        "lifeboat-keep-dr": "14",
    }
    policy = read_policy(VM, tags).policy
    assert policy is not None
    assert policy.schedule.cron == "0 */6 * * *"
    assert (policy.group, policy.tier, policy.keep_primary, policy.keep_dr) == (
        "web",
        "gold",
        3,
        14,
    )


def test_tag_names_are_parameters() -> None:
    names = TagNames(protect="dr-protect", mode="dr-mode")
    policy = read_policy(VM, {"dr-protect": "true", "dr-mode": "clean"}, names).policy
    assert policy is not None
    assert policy.mode is Mode.CLEAN


def test_restore_point_mode_is_a_finding_while_the_preview_is_switched_off() -> None:
    result = read_policy(VM, {"lifeboat-protect": "true", "lifeboat-mode": "restore-point"})
    assert result.policy is None
    (finding,) = result.findings
    assert finding.code is FindingCode.MODE_DISABLED
    assert (finding.tag, finding.value) == ("lifeboat-mode", "restore-point")


def test_restore_point_mode_is_accepted_when_switched_on() -> None:
    defaults = PolicyDefaults(restore_point_copy_enabled=True, schedule="PT6H")
    tags = {"lifeboat-protect": "true", "lifeboat-mode": "restore-point"}
    policy = read_policy(VM, tags, defaults=defaults).policy
    assert policy is not None
    assert policy.mode is Mode.RESTORE_POINT


def test_restore_points_more_often_than_hourly_are_refused_as_azure_would() -> None:
    defaults = PolicyDefaults(restore_point_copy_enabled=True)
    tags = {
        "lifeboat-protect": "true",
        "lifeboat-mode": "restore-point",
        "lifeboat-schedule": "30m",
    }
    (finding,) = read_policy(VM, tags, defaults=defaults).findings
    assert finding.code is FindingCode.SCHEDULE_TOO_FREQUENT
    assert finding.value == "30m"


def test_snapshot_schedule_below_the_minimum_interval_is_a_finding() -> None:
    tags = {"lifeboat-protect": "true", "lifeboat-schedule": "*/5 * * * *"}
    (finding,) = read_policy(VM, tags).findings
    assert finding.code is FindingCode.SCHEDULE_TOO_FREQUENT


def test_several_bad_tags_give_one_finding_each() -> None:
    tags = {
        "lifeboat-protect": "true",
        "lifeboat-mode": "mirror",
        "lifeboat-schedule": "every day",
        "lifeboat-keep-dr": "0",
    }
    result = read_policy(VM, tags)
    assert result.policy is None
    assert {f.tag for f in result.findings} == {
        "lifeboat-mode",
        "lifeboat-schedule",
        "lifeboat-keep-dr",
    }
    assert all(f.subject == VM for f in result.findings)


@pytest.mark.parametrize("value", ["0", "-1", "two", "451", "1.5"])
def test_retention_override_outside_1_to_max_is_a_finding(value: str) -> None:
    tags = {"lifeboat-protect": "true", "lifeboat-keep-primary": value}
    (finding,) = read_policy(VM, tags).findings
    assert (finding.tag, finding.value) == ("lifeboat-keep-primary", value)


def test_invalid_default_schedule_is_reported_against_the_schedule_tag() -> None:
    result = read_policy(VM, {"lifeboat-protect": "true"}, defaults=PolicyDefaults(schedule="x"))
    (finding,) = result.findings
    assert finding.tag == "lifeboat-schedule"


@given(st.dictionaries(st.text(max_size=30), st.text(max_size=60), max_size=8))
def test_any_tags_give_a_policy_or_findings_never_an_exception(tags: dict[str, str]) -> None:
    tags = {**tags, "lifeboat-protect": "true"}
    result = read_policy(VM, tags)
    assert (result.policy is None) == bool(result.findings)
