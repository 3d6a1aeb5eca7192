"""`lifeboat drill start|show` against the app's HTTP functions served locally
(devtools/http_host.py) over the emulator and Azurite, the job driver running the drill."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from devtools.http_host import LocalHost
from lifeboat_cli.main import NO_PLAN, OK, REFUSED, USAGE, cli
from shared.bootstrap import get_deps
from tests.functional.test_drills_api import _protected
from tests.plugins.arm import LifeboatEnv
from tests.support.images import driver
from tests.support.recovery import vms_in
from tests.unit.outage_builders import vm_id

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

KEY = "cli-drill-key"


@pytest.fixture
def host(lifeboat_env: LifeboatEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHost]:
    _protected(lifeboat_env, monkeypatch, "web1", "web2")
    served = LocalHost(KEY).start()
    yield served
    served.stop()


def run(*args: str, url: str) -> Any:
    env = {"LIFEBOAT_URL": url, "LIFEBOAT_FUNCTION_KEY": KEY}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_drill_start_follows_the_drill_until_its_evidence(
    lifeboat_env: LifeboatEnv, host: LocalHost
) -> None:
    worker_done = threading.Event()

    def worker() -> None:  # the job worker, running beside the CLI as in Azure
        try:
            with driver(lifeboat_env.arm) as d:
                assert d.run() is True
        finally:
            worker_done.set()

    result: list[Any] = []
    follow = threading.Thread(
        target=lambda: result.append(
            run("--json", "drill", "start", "--poll-seconds", "0.2", url=host.url)
        )
    )
    follow.start()
    # Start the worker once the drill exists (the CLI POSTed it and is polling).
    for _ in range(200):
        if get_deps().jobs.list(kind="drill_run"):
            break
        worker_done.wait(0.05)
    threading.Thread(target=worker).start()
    follow.join(timeout=120)
    assert worker_done.wait(120)
    (answer,) = result
    assert answer.exit_code == OK, answer.stderr
    body = json.loads(answer.stdout)
    assert body["evidence"]["passed"] is True
    assert [v["verdict"] for v in body["evidence"]["vms"]] == ["passed", "passed"]
    assert body["evidence"]["cleanup"]["complete"] is True
    assert vms_in(lifeboat_env.arm) == []  # drill VMs cleaned up

    shown = run("drill", "show", body["planId"], url=host.url)
    assert shown.exit_code == OK
    assert f"drill {body['drillId']}" in shown.stdout and "passed" in shown.stdout
    assert "cleanup complete" in shown.stdout


def test_no_wait_returns_the_started_drill_and_show_reports_it_in_progress(
    host: LocalHost,
) -> None:
    started = run("--json", "drill", "start", "--vm", vm_id("web1"), "--no-wait", url=host.url)
    assert started.exit_code == OK, started.stderr
    body = json.loads(started.stdout)
    assert body["scope"] and body["statusUrl"] == f"/api/drills/{body['planId']}"

    shown = run("--json", "drill", "show", body["planId"], url=host.url)
    assert shown.exit_code == OK
    seen = json.loads(shown.stdout)
    assert seen["evidence"] is None and seen["execution"]["state"] == "queued"
    people = run("drill", "show", body["planId"], url=host.url)
    assert "recovering" in people.stdout and "lifeboat drill show" in people.stdout


def test_dry_run_changes_nothing(host: LocalHost) -> None:
    before = len(get_deps().jobs.list())
    result = run("--json", "drill", "start", "--dry-run", url=host.url)
    assert result.exit_code == OK, result.stderr
    assert json.loads(result.stdout)["dryRun"] is True
    assert len(get_deps().jobs.list()) == before
    people = run("drill", "start", "--dry-run", url=host.url)
    assert people.exit_code == OK and "dry run: drill plan plan-" in people.stdout


def test_refusals_map_to_exit_codes(host: LocalHost) -> None:
    assert run("drill", "show", "plan-" + "0" * 20, url=host.url).exit_code == NO_PLAN
    bad_tag = run("drill", "start", "--tag", "novalue", url=host.url)
    assert bad_tag.exit_code == REFUSED and "tag" in bad_tag.stderr
    nothing = run("drill", "start", "--tag", "app=none", url=host.url)
    assert nothing.exit_code == REFUSED and "no protected VM" in nothing.stderr
    both = run("drill", "start", "--tag", "a=b", "--vm", vm_id("web1"), url=host.url)
    assert both.exit_code == USAGE
    outside = vm_id("x", sub="99999999-9999-9999-9999-999999999999")
    refused = run("drill", "start", "--vm", outside, url=host.url)
    assert refused.exit_code == REFUSED and "vmIds" in refused.stderr
