"""The `lifeboat` CLI against the app's HTTP functions served locally (devtools/http_host.py)
over the emulator and Azurite, and in --direct mode against DR-region storage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from click.testing import CliRunner

from devtools.http_host import LocalHost
from functions.reconcile import reconcile
from lifeboat_cli.main import CONFLICT, NO_PLAN, NOT_READY, OK, UNREACHABLE, USAGE, cli
from tests.plugins.arm import LifeboatEnv
from tests.support.vms import tagged_vm

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

KEY = "cli-test-key"


def _approve(req: func.HttpRequest) -> func.HttpResponse:
    status = {"plan-1": 200, "plan-done": 409}.get(req.route_params["plan_id"], 404)
    body = {"id": req.route_params["plan_id"], "state": "approved"} if status == 200 else {}
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")


@pytest.fixture
def host(lifeboat_env: LifeboatEnv) -> Iterator[LocalHost]:
    lifeboat_env.arm.seed({"resources": [tagged_vm("web1", data_disks=0)]})
    reconcile(TimerRequest(past_due=True))  # discovered, no set yet: unprotected
    served = LocalHost(KEY, extra=[("POST", "plans/{plan_id}/approve", _approve)]).start()
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


def test_approve_maps_answers_to_exit_codes(host: LocalHost) -> None:
    assert run("approve", "plan-1", url=host.url).exit_code == OK
    assert run("approve", "plan-done", url=host.url).exit_code == CONFLICT
    assert run("approve", "nope", url=host.url).exit_code == NO_PLAN


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
