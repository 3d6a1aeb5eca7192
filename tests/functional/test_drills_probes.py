"""Drill probes and per-tier RTO targets on the emulator and Azurite.

The http probe for real: the (configured) drill network's address space is on loopback
(127.77.0.0/16), so the emulator gives each drill NIC a loopback address and a local HTTP
server answers on it (healthy on one VM's address, 503 on the other's). The run-command probe
through the emulator's Run Command, whose output the test sets per VM.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import azure.functions as func
import pytest

from emulator.providers.compute import run_command
from shared.bootstrap import get_deps
from shared.drills.evidence import record_name
from shared.drills.service import submit_followup
from tests.support.drills import DRILL, followup, seed_drill, vm_ids
from tests.support.images import driver
from tests.unit.outage_builders import RG, SRC_SUBNET

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

HEALTHY = "127.77.0.4"  # the first address the emulator hands out in 127.77.0.0/24
SICK = "127.77.0.5"
DR_SUBNET = f"{RG}/net-dr/providers/Microsoft.Network/virtualNetworks/prod-dr/subnets/web"
LOOPBACK_VNET = f"{RG}/drill-lo/providers/Microsoft.Network/virtualNetworks/drill-lo"


class _Health(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, dict[str, str]]] = []

    def do_GET(self) -> None:
        local = self.connection.getsockname()[0]
        self.seen.append((local, self.path, dict(self.headers)))
        ok = local == HEALTHY and self.path == "/healthz"
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def health_server() -> Iterator[int]:
    """An HTTP server on both drill addresses, one port; yields the port."""
    _Health.seen = []
    first = ThreadingHTTPServer((HEALTHY, 0), _Health)
    port = first.server_address[1]
    second = ThreadingHTTPServer((SICK, port), _Health)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (first, second)]
    for t in threads:
        t.start()
    yield port
    for server in (first, second):
        server.shutdown()
        server.server_close()


def _protect(env: Any, names: tuple[str, ...], tiers: dict[str, str]) -> None:
    from shared import bootstrap
    from shared.vms.records import write_manifest
    from tests.support.recovery import _manifest, seed_dr

    bootstrap.reset()
    seed_dr(env.arm, names)
    loopback = {
        "id": LOOPBACK_VNET,
        "location": "westus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["127.77.0.0/16"]},
            "subnets": [{"name": "web", "properties": {"addressPrefix": "127.77.0.0/24"}}],
        },
    }
    env.arm.seed({"resources": [loopback]})
    for i, name in enumerate(names):
        base = _manifest(name, i, 1, False)  # dynamic NICs: the drill subnet assigns the IP
        tags = {**base.tags, "lifeboat-tier": tiers[name]}
        write_manifest(get_deps().records, dataclasses.replace(base, tags=tags))


def _start_drill() -> dict[str, Any]:
    from functions.drills import drills_start

    req = func.HttpRequest("POST", "http://localhost/api/drills", body=b"{}", params={})
    response = drills_start(req)
    body: dict[str, Any] = json.loads(response.get_body())
    assert response.status_code == 202, body
    return body


def test_http_probe_reaches_each_drill_vm_on_its_private_ip_and_tier_targets_are_judged(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch, health_server: int
) -> None:
    env = lifeboat_env
    for key, value in {
        "LIFEBOAT_SUBNET_MAP": f"{SRC_SUBNET}={DR_SUBNET}",
        "LIFEBOAT_DRILL_VNET_ID": LOOPBACK_VNET,
        "LIFEBOAT_DRILL_WINDOW_MINUTES": "0",
        "LIFEBOAT_DRILL_VALIDATION_TIMEOUT_MINUTES": "2",
        "LIFEBOAT_DRILL_PROBE": "http",
        "LIFEBOAT_DRILL_PROBE_URL": f"http://{{ip}}:{health_server}/healthz",
        "LIFEBOAT_TIER_RTO_TARGETS": "critical=60,standard=0.01",
    }.items():
        monkeypatch.setenv(key, value)
    _protect(env, ("web1", "web2"), {"web1": "critical", "web2": "standard"})
    with driver(env.arm) as d:
        started = _start_drill()
        assert d.run() is True

    doc = get_deps().records.get(record_name(started["drillId"]))
    assert doc is not None
    by_probe = {v["validation"]["evidence"]["probe"].split(":")[1]: v for v in doc["vms"]}
    healthy, sick = by_probe[f"//{HEALTHY}"], by_probe[f"//{SICK}"]
    # One VM answered 2xx on its own address; the other answered 503 until the timeout.
    assert healthy["verdict"] == "passed"
    assert (
        f"GET http://{HEALTHY}:{health_server}/healthz: HTTP 200"
        in (healthy["validation"]["evidence"]["probe"])
    )
    assert sick["verdict"] == "failed" and sick["validation"]["reason"].endswith("probe failing")
    assert "HTTP 503" in sick["validation"]["evidence"]["probe"]
    assert doc["passed"] is False and doc["rtoSeconds"] is None and doc["rtoMet"] is False
    # Only the VMs' own addresses were asked, with no credentials.
    assert {local for local, _, _ in _Health.seen} == {HEALTHY, SICK}
    assert all("Authorization" not in headers for _, _, headers in _Health.seen)
    # The tier targets come from LIFEBOAT_TIER_RTO_TARGETS (minutes → seconds).
    targets = {v["tier"]: v["rtoTargetSeconds"] for v in doc["vms"]}
    assert targets == {"critical": 3600.0, "standard": 0.6}
    for v in doc["vms"]:
        met = None if v["rtoSeconds"] is None else v["rtoSeconds"] <= v["rtoTargetSeconds"]
        assert v["rtoMet"] is met
    assert doc["tiers"]["standard"]["rtoMet"] is False
    # Status shows the drill's RTO against its strictest target.
    from shared.drills.status import drill_status

    (entry,) = drill_status(get_deps(), env.arm.clock.now())["scopes"]["all"]
    assert (entry["rto_target_seconds"], entry["rto_met"]) == (0.6, False)


def test_run_command_probe_judges_each_vm_by_its_output(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import bootstrap

    arm = lifeboat_env.arm
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE", "run-command")
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE_SCRIPT", "systemctl is-active app")
    monkeypatch.setenv("LIFEBOAT_DRILL_PROBE_EXPECT", "^active$")
    bootstrap.reset()
    names = ("web1", "web2")
    seed_drill(arm, names)
    run_command.set_result(arm.core, "web1", stdout="active")
    run_command.set_result(arm.core, "web2", stdout="inactive", exit_code=3)
    spec = dataclasses.replace(
        followup(arm, names), probe="run-command", timeout=timedelta(minutes=1)
    )
    with driver(arm) as d:
        submit_followup(get_deps(), spec)
        assert d.run() is True

    doc = get_deps().records.get(record_name(DRILL))
    assert doc is not None
    web1, web2 = doc["vms"]
    assert web1["verdict"] == "passed"
    assert web1["validation"]["evidence"]["probe"] == (
        "RunShellScript: succeeded; stdout 'active'; matches '^active$'"
    )
    assert web2["verdict"] == "failed"
    assert "RunShellScript: failed; stdout 'inactive'" in web2["validation"]["evidence"]["probe"]
    ran = run_command.runs(arm.core)
    assert {r["vmId"] for r in ran} == {vm_ids("web1")["vm"], vm_ids("web2")["vm"]}
    assert all(r["script"] == ["systemctl is-active app"] for r in ran)
    # A passed VM is asked once; the failing one again at every look until the timeout.
    assert sum(r["vmId"] == vm_ids("web1")["vm"] for r in ran) == 1
    assert doc["cleanup"]["complete"] is True
