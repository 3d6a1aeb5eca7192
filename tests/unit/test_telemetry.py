"""Telemetry: off (and nothing imported) without a connection string; with one, log `extra`
dimensions reach the App Insights ingestion endpoint (a loopback receiver) as customDimensions."""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shared.telemetry import DimensionFilter, ensure_telemetry, ledger_points

ROOT = Path(__file__).resolve().parents[2]


def test_dimensions_become_short_strings_and_none_is_dropped() -> None:
    record = logging.LogRecord("shared.x", logging.INFO, "f", 1, "m", None, None)
    record.__dict__.update({"job_id": 7, "plan_id": None, "resource_id": "x" * 5000})
    assert DimensionFilter().filter(record) is True
    assert record.__dict__["job_id"] == "7"
    assert "plan_id" not in record.__dict__
    assert len(record.__dict__["resource_id"]) == 1024


def test_without_a_connection_string_telemetry_is_off_and_imports_nothing() -> None:
    assert ensure_telemetry({}) is False
    code = (
        "import sys, os; os.environ.pop('APPLICATIONINSIGHTS_CONNECTION_STRING', None); "
        "from shared.telemetry import ensure_telemetry; assert not ensure_telemetry(); "
        "print([m for m in sys.modules if m.startswith(('azure.monitor', 'opentelemetry'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ledger_points_skip_items_without_a_recovery_point() -> None:
    items = [
        {"kind": "vm", "id": "a", "state": "ok", "achieved_rpo_seconds": 60.0},
        {"kind": "vm", "id": "b", "state": "unprotected", "achieved_rpo_seconds": None},
    ]
    assert ledger_points(items) == [(60.0, {"kind": "vm", "resource_id": "a", "state": "ok"})]


@pytest.fixture
def ingestion() -> Iterator[tuple[str, list[dict[str, object]]]]:
    received: list[dict[str, object]] = []

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            if self.headers.get("content-encoding") == "gzip":
                raw = gzip.decompress(raw)
            for line in raw.decode().splitlines():
                text = line.strip().strip("[]").strip()
                if text:
                    body = json.loads(line) if line.startswith("[") else [json.loads(line)]
                    received.extend(body)
            payload = json.dumps({"itemsReceived": 1, "itemsAccepted": 1, "errors": []})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload.encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", received
    server.shutdown()


def test_log_extras_arrive_as_custom_dimensions(
    ingestion: tuple[str, list[dict[str, object]]],
) -> None:
    endpoint, received = ingestion
    _run_with_telemetry(
        endpoint,
        "from shared.telemetry import ensure_telemetry\n"
        "assert ensure_telemetry()\n"
        "logging.getLogger('shared.jobs').setLevel(logging.INFO)\n"
        "logging.getLogger('shared.jobs').info('step done', extra={'job_id': 'j-1', "
        "'job_kind': 'vm_protection', 'step': 'capture', 'outcome': 'ok'})",
    )
    messages = [
        item["data"]["baseData"]  # type: ignore[index]
        for item in received
        if str(item.get("name", "")).endswith("Message")
    ]
    (message,) = [m for m in messages if m.get("message") == "step done"]
    assert {k: message["properties"][k] for k in ("job_id", "job_kind", "step", "outcome")} == {
        "job_id": "j-1", "job_kind": "vm_protection", "step": "capture", "outcome": "ok",
    }  # fmt: skip


def _run_with_telemetry(endpoint: str, body: str) -> None:
    connection = (
        f"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint={endpoint}"
    )
    code = (
        "import logging, os\n"
        f"os.environ['APPLICATIONINSIGHTS_CONNECTION_STRING'] = {connection!r}\n"
        "os.environ['LIFEBOAT_CREDENTIAL'] = 'emulator'\n"
        f"{body}\n"
        "from opentelemetry._logs import get_logger_provider\n"
        "from opentelemetry.metrics import get_meter_provider\n"
        "get_logger_provider().force_flush()\n"
        "get_meter_provider().force_flush()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _metrics(received: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for item in received:
        if not str(item.get("name", "")).endswith("Metric"):
            continue
        base = item["data"]["baseData"]  # type: ignore[index]
        for metric in base["metrics"]:
            out.setdefault(metric["name"], []).append(
                {"value": metric["value"], "count": metric.get("count"), **base["properties"]}
            )
    return out


def test_copies_plans_and_drill_rto_arrive_as_metrics_with_their_dimensions(
    ingestion: tuple[str, list[dict[str, object]]],
) -> None:
    endpoint, received = ingestion
    _run_with_telemetry(
        endpoint,
        "from shared.telemetry import record_copies_in_flight, record_drill_rto, "
        "record_plan_states\n"
        "from shared.azure.copy_ledger import lane_key\n"
        "record_copies_in_flight(lane_key('00000000-0000-0000-0000-0000000000aa', 'West US'), 3)\n"
        "record_plan_states(['executing', 'awaiting_approval', 'executing'])\n"
        "record_drill_rto('d-1', 'sub/rg', True, 420.0)\n"
        "record_drill_rto('d-2', 'sub/rg', False, None)\n",
    )
    metrics = _metrics(received)
    # A metric is exported on every collection (force_flush and at exit): the last one counts.
    copies = metrics["lifeboat.copies.in_flight"][-1]
    assert copies["value"] == 3.0
    assert copies["subscription"] == "00000000-0000-0000-0000-0000000000aa"
    assert copies["region"] == "westus"
    plans = {str(p["state"]): p["value"] for p in metrics["lifeboat.plans"]}
    assert plans == {"executing": 2.0, "awaiting_approval": 1.0}
    rto = metrics["lifeboat.drill.rto_seconds"][-1]
    assert {r["drill_id"] for r in metrics["lifeboat.drill.rto_seconds"]} == {"d-1"}
    assert (rto["value"], rto["count"]) == (420.0, 1)
    assert (rto["drill_id"], rto["scope"], rto["outcome"]) == ("d-1", "sub/rg", "passed")


def test_the_job_worker_configures_telemetry_itself(
    ingestion: tuple[str, list[dict[str, object]]],
) -> None:
    endpoint, received = ingestion
    _run_with_telemetry(
        endpoint,
        "import azure.functions as func\n"
        "from functions.jobs import run_job\n"
        "logging.getLogger('functions.jobs').setLevel(logging.INFO)\n"
        "run_job(func.QueueMessage(id='m-1', body=b'not a job'))\n",
    )
    messages = [
        item["data"]["baseData"]  # type: ignore[index]
        for item in received
        if str(item.get("name", "")).endswith("Message")
    ]
    assert any("not a job message" in str(m.get("message")) for m in messages), messages
