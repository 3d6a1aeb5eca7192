"""The `lifeboat` CLI against the app's HTTP functions served locally (devtools/http_host.py)
over the emulator and Azurite, and in --direct mode against DR-region storage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from azure.functions.timer import TimerRequest
from click.testing import CliRunner

from devtools.http_host import LocalHost
from functions.reconcile import reconcile
from lifeboat_cli.main import (
    CONFLICT,
    NO_PLAN,
    NOT_READY,
    OK,
    REFUSED,
    UNREACHABLE,
    USAGE,
    cli,
)
from shared.bootstrap import get_deps
from tests.functional.test_outages import _alert, _declare, _protected_estate, _webhook
from tests.plugins.arm import LifeboatEnv
from tests.support.vms import tagged_vm

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

KEY = "cli-test-key"


@pytest.fixture
def host(lifeboat_env: LifeboatEnv) -> Iterator[LocalHost]:
    lifeboat_env.arm.seed({"resources": [tagged_vm("web1", data_disks=0)]})
    reconcile(TimerRequest(past_due=True))  # discovered, no set yet: unprotected
    served = LocalHost(KEY).start()
    yield served
    served.stop()


def run(*args: str, url: str | None = None, key: str | None = KEY) -> Any:
    env = {"LIFEBOAT_URL": url, "LIFEBOAT_FUNCTION_KEY": key}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_status_json_lists_the_ledger_and_exits_3_when_an_item_is_unprotected(
    host: LocalHost,
) -> None:
    result = run("--json", "status", url=host.url)
    assert result.exit_code == NOT_READY
    body = json.loads(result.stdout)
    assert [i["name"] for i in body["items"]] == ["web1"]
    assert body["totals"]["by_state"]["unprotected"] == 1


def test_status_table_for_people(host: LocalHost) -> None:
    result = run("status", url=host.url)
    assert result.exit_code == NOT_READY
    assert "web1" in result.stdout and "unprotected: 1" in result.stdout


def test_direct_mode_reads_dr_storage_without_the_app(lifeboat_env: LifeboatEnv) -> None:
    lifeboat_env.arm.seed({"resources": [tagged_vm("web1", data_disks=0)]})
    reconcile(TimerRequest(past_due=True))
    lifeboat_env.arm.faults.region_down("eastus")
    result = run("--direct", "--json", "status", url="http://127.0.0.1:9", key=None)
    assert result.exit_code == NOT_READY
    assert [i["name"] for i in json.loads(result.stdout)["items"]] == ["web1"]


def test_approve_approves_a_real_plan_once_and_maps_refusals_to_exit_codes(
    lifeboat_env: LifeboatEnv,
) -> None:
    _protected_estate(lifeboat_env, "app1")
    lifeboat_env.arm.faults.region_down("eastus")
    _declare(lifeboat_env)
    _, answer = _alert(_webhook(lifeboat_env))
    plan_id = answer["plan"]["planId"]
    served = LocalHost(KEY).start()
    try:
        listed = run("--json", "plans", url=served.url)
        assert listed.exit_code == OK
        assert [p["planId"] for p in json.loads(listed.stdout)["plans"]] == [plan_id]
        table = run("plans", url=served.url)
        assert plan_id in table.stdout and "awaiting_approval" in table.stdout

        approved = run("--json", "approve", plan_id, "--by", "ops@example.com", url=served.url)
        assert approved.exit_code == OK, approved.stderr
        assert json.loads(approved.stdout)["state"] == "approved"
        stored = get_deps().plans.get(plan_id)
        assert stored is not None and stored.status.approved_by == "ops@example.com"

        again = run("approve", plan_id, "--by", "late@example.com", url=served.url)
        assert again.exit_code == CONFLICT and "already approved" in " ".join(again.stderr.split())
        unknown = run("approve", "plan-" + "0" * 20, "--by", "x", url=served.url)
        assert unknown.exit_code == NO_PLAN
        bad = run("approve", "nope", "--by", "x", url=served.url)
        assert bad.exit_code == REFUSED and "planId" in bad.stderr
    finally:
        served.stop()
    stored = get_deps().plans.get(plan_id)
    assert stored is not None and stored.status.approved_by == "ops@example.com"


def test_a_wrong_key_is_a_clear_refusal(host: LocalHost) -> None:
    result = run("status", url=host.url, key="wrong")
    assert result.exit_code == 1
    assert "401" in result.stderr


def test_an_unreachable_app_says_to_try_direct() -> None:
    result = run("status", url="http://127.0.0.1:9")
    assert result.exit_code == UNREACHABLE
    assert "--direct" in result.stderr


def test_missing_url_or_key_is_a_usage_error() -> None:
    result = run("status", url=None, key=None)
    assert result.exit_code == USAGE
    assert "LIFEBOAT_URL" in result.stderr
