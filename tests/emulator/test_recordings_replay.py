"""Replay real recorded ARM traffic against the emulator and compare shapes (not values)."""

from __future__ import annotations

import http.client
import json
import re
import ssl
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulator.providers import aib_runs
from emulator.server import ArmEmulator
from tests.plugins.payloads import load_recording

pytestmark = pytest.mark.emulator

LRO_HEADERS = ("azure-asyncoperation", "location")
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


class Wire:
    """A bare HTTPS client for the emulator: what the recording sent, as sent."""

    def __init__(self, arm: ArmEmulator) -> None:
        self.host = urlsplit(arm.endpoint).netloc
        self.context = ssl.create_default_context(cafile=arm.ca_file)

    def send(self, method: str, target: str, body: Any) -> tuple[int, dict[str, str], Any]:
        conn = http.client.HTTPSConnection(self.host, context=self.context, timeout=10)
        payload = json.dumps(body).encode() if body is not None else b""
        headers = {"Authorization": "Bearer replay", "Content-Type": "application/json"}
        conn.request(method, target, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        lowered = {k.lower(): v for k, v in response.getheaders()}
        return response.status, lowered, json.loads(raw) if raw else None


def shape(value: Any) -> Any:
    """Return the key structure of a JSON value (dict keys recursively, first list item)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def missing_keys(recorded: Any, replayed: Any, where: str = "$") -> list[str]:
    """Return the recorded keys absent from the replayed body (newer APIs may add keys)."""
    if isinstance(recorded, dict):
        if not isinstance(replayed, dict):
            return [where]
        gaps: list[str] = []
        for key, sub in recorded.items():
            if key not in replayed:
                gaps.append(f"{where}.{key}")
            else:
                gaps += missing_keys(sub, replayed[key], f"{where}.{key}")
        return gaps
    if isinstance(recorded, list) and recorded:
        if not isinstance(replayed, list) or not replayed:
            return [where]
        return missing_keys(recorded[0], replayed[0], f"{where}[0]")
    return []


def url_shape(url: str) -> str:
    return _GUID.sub("{id}", urlsplit(url).path).lower()


def replay(arm: ArmEmulator, name: str, before: Any = None) -> list[str]:
    """Replay recording `name`; return a list of shape differences (empty when faithful)."""
    wire = Wire(arm)
    problems: list[str] = []
    poll_url = ""
    for index, entry in enumerate(e for e in load_recording(name)["entries"] if "method" in e):
        if before is not None:
            before(entry)
        target = entry["uri"]
        if target.startswith("https://"):
            target = poll_url  # follow the emulator's own operation URL, as a poller would
        status, headers, body = wire.send(entry["method"], target, entry.get("request_body"))
        recorded = entry.get("response_body")
        recorded_state = recorded.get("status") if isinstance(recorded, dict) else None
        for _ in range(5):
            # A real poller polls again while InProgress; the recording may show fewer polls.
            if recorded_state in (None, "InProgress") or (body or {}).get("status") != "InProgress":
                break
            status, headers, body = wire.send("GET", target, None)
        label = f"#{index} {entry['method']} {urlsplit(entry['uri']).path}"
        if status != entry["status"]:
            problems.append(f"{label}: status {status} != {entry['status']} ({body})")
        for header in LRO_HEADERS:
            recorded = {k.lower(): v for k, v in entry["headers"].items()}.get(header)
            if recorded is None:
                continue
            if header not in headers:
                problems.append(f"{label}: missing header {header}")
            elif url_shape(headers[header]) != url_shape(recorded):
                problems.append(f"{label}: {header} {url_shape(headers[header])}")
            else:
                poll_url = headers["azure-asyncoperation" if header != "location" else header]
        if isinstance(entry.get("response_body"), dict):
            problems += [f"{label}: {gap}" for gap in missing_keys(entry["response_body"], body)]
        if "azure-asyncoperation" in headers:
            poll_url = headers["azure-asyncoperation"]
    return problems


def test_imagebuilder_recording_replays_with_the_same_shapes(arm: ArmEmulator) -> None:
    def advance_past_build(entry: dict[str, Any]) -> None:
        # In the recording the run LRO lasted the whole build; here the build runs on the clock.
        if "/runOutputs/" in entry["uri"]:
            arm.clock.advance(aib_runs.total_seconds())

    assert replay(arm, "imagebuilder_template_run_runoutput.azsdkpy", advance_past_build) == []


def test_gallery_recording_replays_with_the_same_shapes(arm: ArmEmulator) -> None:
    base = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rgname/providers"
    arm.seed(
        {
            "resources": [
                {
                    "id": f"{base}/Microsoft.Compute/galleries/galleryname4a232cfa",
                    "location": "eastus2",
                },
                {
                    "id": f"{base}/Microsoft.Compute/snapshots/snapshotname4a232cfa",
                    "location": "eastus2",
                    "properties": {"diskSizeGB": 200},
                },
            ]
        }
    )
    assert replay(arm, "compute_gallery_image_version_target_regions.azsdkpy") == []


def test_recorded_gallery_region_names_come_back_as_display_names(arm: ArmEmulator) -> None:
    recording = load_recording("compute_gallery_image_version_target_regions.azsdkpy")
    put = next(
        e for e in recording["entries"] if e.get("method") == "PUT" and "/versions/" in e["uri"]
    )
    test_gallery_recording_replays_with_the_same_shapes(arm)
    got = arm.state.get(urlsplit(put["uri"]).path)
    assert got is not None
    regions = got["properties"]["publishingProfile"]["targetRegions"]
    assert [r["name"] for r in regions] == [
        r["name"] for r in put["response_body"]["properties"]["publishingProfile"]["targetRegions"]
    ]
    assert shape(got["properties"]["publishingProfile"]["targetRegions"][0]) == {
        **shape(put["response_body"]["properties"]["publishingProfile"]["targetRegions"][0]),
        "excludeFromLatest": None,
    }
