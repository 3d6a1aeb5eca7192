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
    connection = (
        f"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint={endpoint}"
    )
    code = (
        "import logging, os\n"
        f"os.environ['APPLICATIONINSIGHTS_CONNECTION_STRING'] = {connection!r}\n"
        "os.environ['LIFEBOAT_CREDENTIAL'] = 'emulator'\n"
        "from shared.telemetry import ensure_telemetry\n"
        "assert ensure_telemetry()\n"
        "logging.getLogger('shared.jobs').setLevel(logging.INFO)\n"
        "logging.getLogger('shared.jobs').info('step done', extra={'job_id': 'j-1', "
        "'job_kind': 'vm_protection', 'step': 'capture', 'outcome': 'ok'})\n"
        "from opentelemetry._logs import get_logger_provider\n"
        "get_logger_provider().force_flush()\n"
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
    messages = [
        item["data"]["baseData"]  # type: ignore[index]
        for item in received
        if str(item.get("name", "")).endswith("Message")
    ]
    (message,) = [m for m in messages if m.get("message") == "step done"]
    assert {k: message["properties"][k] for k in ("job_id", "job_kind", "step", "outcome")} == {
        "job_id": "j-1", "job_kind": "vm_protection", "step": "capture", "outcome": "ok",
    }  # fmt: skip
