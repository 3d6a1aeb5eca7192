"""Core pieces without a server: store, router, clock, operations, faults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.core import ArmError, Core, Request
from emulator.core.faults import Faults
from emulator.core.store import normalize_location, type_of

DISK = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/disks/D1"
START = datetime(2026, 1, 1, tzinfo=UTC)


def test_store_is_case_insensitive_and_returns_copies() -> None:
    core = Core(start=START)
    core.store.put({"id": DISK, "location": "East US", "properties": {"a": 1}})
    got = core.store.get(DISK.lower())
    assert got is not None
    assert got["name"] == "D1"
    assert got["type"] == "Microsoft.Compute/disks"
    assert got["location"] == "eastus"
    got["properties"]["a"] = 2
    assert core.store.require(DISK.upper())["properties"]["a"] == 1


def test_store_require_raises_azure_not_found_wording() -> None:
    core = Core(start=START)
    with pytest.raises(ArmError) as caught:
        core.store.require(DISK)
    assert caught.value.status == 404
    assert caught.value.body() == {
        "error": {
            "code": "ResourceNotFound",
            "message": "The Resource 'Microsoft.Compute/disks/D1' under resource group 'RG' was "
            "not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        }
    }
    assert caught.value.headers["x-ms-failure-cause"] == "gateway"


def test_store_list_filters_by_scope_and_type() -> None:
    core = Core(start=START)
    core.store.put({"id": DISK})
    core.store.put({"id": DISK.replace("/RG/", "/other/")})
    core.store.put({"id": DISK.replace("disks", "snapshots")})
    in_rg = core.store.list("microsoft.compute/DISKS", "/subscriptions/s/resourceGroups/rg")
    assert [r["id"] for r in in_rg] == [DISK]
    assert len(core.store.list(scope="/subscriptions/s")) == 3


def test_store_meta_survives_put_and_dies_with_delete() -> None:
    core = Core(start=START)
    core.store.put({"id": DISK}, {"content_id": "x"})
    core.store.put({"id": DISK, "tags": {"a": "b"}})
    assert core.store.meta(DISK)["content_id"] == "x"
    assert core.store.delete(DISK) is True
    assert core.store.meta(DISK) == {}
    assert core.store.delete(DISK) is False


def test_refresh_hook_sees_the_emulated_clock() -> None:
    core = Core(start=START)
    core.types.register(
        "Microsoft.Compute/disks",
        refresh=lambda body, meta, now: body.update(seen=now.isoformat()),
    )
    core.store.put({"id": DISK})
    core.clock.advance(90)
    assert core.store.require(DISK)["seen"] == "2026-01-01T00:01:30+00:00"


def test_router_prefers_literal_segments_and_ignores_case() -> None:
    core = Core(start=START)
    core.router.add("GET", "/a/{x}/c", lambda req: None)  # type: ignore[arg-type,return-value]
    literal = lambda req: None  # noqa: E731
    core.router.add("GET", "/a/B/c", literal)  # type: ignore[arg-type]
    handler, params = core.router.resolve("GET", "/A/b/C")
    assert handler is literal
    assert params == {}
    _, params = core.router.resolve("GET", "/a/zz/c")
    assert params == {"x": "zz"}


def test_router_reports_405_and_invalid_resource_type() -> None:
    core = Core(start=START)
    core.router.add("GET", "/subscriptions/{s}/providers/Microsoft.Compute/disks", print)  # type: ignore[arg-type]
    with pytest.raises(ArmError) as wrong_method:
        core.router.resolve("DELETE", "/subscriptions/s/providers/Microsoft.Compute/disks")
    assert wrong_method.value.status == 405
    with pytest.raises(ArmError) as unknown:
        core.router.resolve("GET", "/subscriptions/s/providers/Microsoft.Compute/widgets/w")
    assert unknown.value.code == "InvalidResourceType"


def test_clock_is_frozen_formats_like_azure_and_resets() -> None:
    core = Core(start=START)
    assert core.clock.iso() == "2026-01-01T00:00:00.0000000+00:00"
    core.clock.advance(1.5)
    assert core.clock.iso() == "2026-01-01T00:00:01.5000000+00:00"
    with pytest.raises(ValueError):
        core.clock.advance(-1)
    core.reset()
    assert core.clock.now() == START


def _request(path: str = "/subscriptions/s/x") -> Request:
    return Request("PUT", path, {"api-version": "2026-03-02"}, endpoint="https://h")


def test_operation_reports_in_progress_then_runs_on_done_once() -> None:
    core = Core(start=START)
    core.endpoint = "https://h"
    calls: list[int] = []
    op = core.lro.begin(
        _request(),
        "eastus",
        segment="DiskOperations",
        polls=1,
        on_done=lambda: calls.append(1) or {"ok": True},
        output_in_status=True,
    )
    assert op.url.startswith("https://h/subscriptions/s/providers/Microsoft.Compute/locations/")
    assert "/DiskOperations/" in op.url and op.url.endswith("&api-version=2026-03-02")
    assert "&monitor=true&api-version=" in op.location_url
    poll = Request("GET", "", {}, params={"opid": op.op_id, "segment": "diskoperations"})
    assert core.lro.poll(poll).body["status"] == "InProgress"
    done = core.lro.poll(poll).body
    assert done["status"] == "Succeeded"
    assert done["properties"] == {"output": {"ok": True}}
    core.lro.poll(poll)
    assert calls == [1]


def test_operation_failure_carries_the_arm_error() -> None:
    core = Core(start=START)

    def fail() -> None:
        raise ArmError(409, "Conflict", "nope")

    op = core.lro.begin(_request(), "eastus", polls=0, on_done=fail)
    assert op.status == "Failed"
    assert op.status_body(core.clock)["error"] == {"code": "Conflict", "message": "nope"}


def test_unpolled_operation_settles_when_the_clock_passes_a_minute() -> None:
    core = Core(start=START)
    op = core.lro.begin(_request(), "eastus", polls=5)
    core.clock.advance(59)
    assert op.status == "InProgress"
    core.clock.advance(1)
    assert op.status == "Succeeded"


def test_faults_are_deterministic_for_a_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = Faults(seed)
        faults.server_errors(0.5)
        return [faults.before("GET", "/p", "s") is not None for _ in range(40)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 5 < sum(pattern(1)) < 35


def test_token_bucket_refills_with_time() -> None:
    now = [0.0]
    faults = Faults(0, time_fn=lambda: now[0])
    faults.rate_limits(buckets={"deletes": (2, 1.0)})
    assert faults.before("DELETE", "/p", "s") is None
    assert faults.quota_headers("DELETE", "s") == {
        "x-ms-ratelimit-remaining-subscription-deletes": "1"
    }
    assert faults.before("DELETE", "/p", "s") is None
    throttled = faults.before("DELETE", "/p", "s")
    assert throttled is not None and throttled.code == "SubscriptionRequestsThrottled"
    assert throttled.headers["Retry-After"] == "1"
    now[0] = 1.0
    assert faults.before("DELETE", "/p", "s") is None


def test_region_names_normalise_and_types_parse() -> None:
    assert normalize_location("(US) East US 2") == "eastus2"
    assert type_of(DISK + "/x/y") == "Microsoft.Compute/disks/x"


def test_a_handler_crash_is_a_logged_500_that_fails_the_test_that_caused_it() -> None:
    from tests.plugins.arm import AUTH, fail_on_emulator_bugs

    core = Core(start=START)

    def crash(req: Request) -> Any:
        raise KeyError("boom")

    core.router.add("GET", "/subscriptions/{sub}/providers/Microsoft.Lifeboat/crash", crash)
    path = "/subscriptions/s/providers/Microsoft.Lifeboat/crash?api-version=2026-01-01"
    fail_on_emulator_bugs(core)  # nothing crashed yet
    status, _, _ = core.dispatch("GET", path, AUTH, b"")
    assert status == 500
    assert core.log.entries()[-1].fault == "bug"
    with pytest.raises(pytest.fail.Exception, match="KeyError: 'boom'"):
        fail_on_emulator_bugs(core)
    core.reset()
    fail_on_emulator_bugs(core)
