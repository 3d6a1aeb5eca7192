"""Replay real recorded ARM traffic against the emulator and compare shapes (not values)."""

from __future__ import annotations

import http.client
import json
import re
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulator.providers import aib_runs
from emulator.server import ArmEmulator
from tests.plugins.payloads import load_recording

pytestmark = pytest.mark.emulator

# Headers compared both ways: present in the recording <=> present in the emulator's answer.
COMPARED_HEADERS = ("azure-asyncoperation", "location", "retry-after")
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")

AIB = "imagebuilder_template_run_runoutput.azsdkpy"
GALLERY = "compute_gallery_image_version_target_regions.azsdkpy"

# Where the emulator knowingly differs from Azure in these recordings: (recording, step) -> why,
# and what the replay does before that step. Everything else must match at every step: status
# code, operation status, provisioningState, the polling and Retry-After headers both ways (the
# replay turns Retry-After on; by default the emulator omits it so azure-core never sleeps), and
# every recorded body key.
Adjust = Callable[[ArmEmulator], Any]
ACCEPTED: dict[tuple[str, int], tuple[str, Adjust]] = {
    (AIB, 6): (
        "The run LRO ends after the recorded polls, but the build is lastRunStatus on the "
        "emulated clock (Azure's run LRO lasts the whole build; docs/emulator-providers.md): "
        "the clock moves past the build before the run output is read.",
        lambda arm: arm.clock.advance(aib_runs.total_seconds()),
    ),
}


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


def _state(body: Any) -> tuple[Any, Any]:
    """Return (operation status, properties.provisioningState) of a JSON body."""
    if not isinstance(body, dict):
        return None, None
    return body.get("status"), (body.get("properties") or {}).get("provisioningState")


def compare(
    label: str, entry: dict[str, Any], answer: tuple[int, dict[str, str], Any]
) -> list[str]:
    """Return the differences between one recorded exchange and the emulator's answer."""
    status, headers, body = answer
    problems: list[str] = []
    if status != entry["status"]:
        problems.append(f"{label}: status {status} != {entry['status']} ({body})")
    recorded_headers = {k.lower(): v for k, v in entry["headers"].items()}
    for name in COMPARED_HEADERS:
        if (name in recorded_headers) != (name in headers):
            problems.append(f"{label}: header {name} recorded={name in recorded_headers}")
        elif name in headers and name != "retry-after":
            shape = url_shape(headers[name])
            if shape != url_shape(recorded_headers[name]):
                problems.append(f"{label}: {name} {shape}")
    recorded = entry.get("response_body")
    if isinstance(recorded, dict):
        want, got = _state(recorded), _state(body)
        if want != got:
            problems.append(f"{label}: (status, provisioningState) {got} != recorded {want}")
        problems += [f"{label}: {gap}" for gap in missing_keys(recorded, body)]
    return problems


def _in_progress_polls(following: list[dict[str, Any]]) -> int:
    """Return how many InProgress polls the recording shows right after a request."""
    count = 0
    for entry in following:
        if not entry["uri"].startswith("https://"):
            break
        count += _state(entry.get("response_body"))[0] == "InProgress"
    return count


def replay(arm: ArmEmulator, name: str) -> list[str]:
    """Replay recording `name` step by step; return every difference (empty when faithful)."""
    wire = Wire(arm)
    arm.core.lro.emit_retry_after = True  # compare Retry-After too (no SDK here sleeps on it)
    problems: list[str] = []
    poll_url = ""
    entries = [e for e in load_recording(name)["entries"] if "method" in e]
    for index, entry in enumerate(entries):
        if (name, index) in ACCEPTED:
            ACCEPTED[name, index][1](arm)
        target = entry["uri"]
        if target.startswith("https://"):
            target = poll_url  # follow the emulator's own operation URL, as a poller would
        else:
            # Azure took as many polls as it took; the emulator answers as many InProgress.
            arm.core.lro.force_polls = _in_progress_polls(entries[index + 1 :])
        answer = wire.send(entry["method"], target, entry.get("request_body"))
        label = f"{name} #{index} {entry['method']} {urlsplit(entry['uri']).path}"
        problems += compare(label, entry, answer)
        headers = answer[1]
        if "azure-asyncoperation" in headers:
            poll_url = headers["azure-asyncoperation"]
    return problems


def test_imagebuilder_recording_replays_with_the_same_shapes(arm: ArmEmulator) -> None:
    assert replay(arm, AIB) == []


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
    assert replay(arm, GALLERY) == []


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


def test_the_comparison_sees_state_and_header_differences_both_ways() -> None:
    entry = {
        "status": 200,
        "headers": {"Retry-After": "60"},
        "response_body": {"properties": {"provisioningState": "Succeeded"}},
    }
    creating = {"properties": {"provisioningState": "Creating"}}
    problems = compare("step", entry, (200, {"location": "https://x/op"}, creating))
    assert problems == [
        "step: header location recorded=False",
        "step: header retry-after recorded=True",
        "step: (status, provisioningState) (None, 'Creating') != recorded (None, 'Succeeded')",
    ]
