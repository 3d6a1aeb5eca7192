"""The outage wiring's pure pieces: Resource Graph rows, the webhook URL rules, settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.config import Settings
from shared.outages.notification import RegionStatus
from shared.outages.poll import _TICKS_AT_EPOCH, notification_from_row
from shared.outages.webhook import is_safe_url, post_json

AT = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _row(**props: object) -> dict[str, object]:
    base: dict[str, object] = {
        "EventType": "ServiceIssue",
        "TrackingId": "AB-123",
        "Stage": "Active",
        "LastUpdateTime": _TICKS_AT_EPOCH + int(AT.timestamp() * 10_000_000),
        "Impact": [
            {
                "impactedService": "Virtual Machines",
                "impactedRegions": [
                    {"impactedRegion": "East US", "status": "Active"},
                    {"impactedRegion": "West Europe", "status": "Resolved"},
                ],
            }
        ],
    }
    base.update(props)
    return {"id": "/subscriptions/s/providers/Microsoft.ResourceHealth/events/AB-123",
            "subscriptionId": "s", "properties": base}  # fmt: skip


def test_a_row_keeps_per_region_status_and_reads_ticks() -> None:
    note = notification_from_row(_row())
    assert note is not None
    assert note.event_time == AT and note.tracking_id == "AB-123"
    assert {(i.region, i.status) for i in note.impacts} == {
        ("eastus", RegionStatus.ACTIVE),
        ("westeurope", RegionStatus.RESOLVED),
    }


def test_a_row_with_iso_time_hashes_like_the_same_row_with_ticks() -> None:
    a = notification_from_row(_row())
    b = notification_from_row(_row(LastUpdateTime="2030-01-01T12:00:00Z"))
    assert a is not None and b is not None and a.content_hash == b.content_hash


def test_maintenance_rows_are_not_incidents() -> None:
    assert notification_from_row(_row(EventType="PlannedMaintenance")) is None


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://hooks.example.com/x", True),
        ("http://hooks.example.com/x", False),
        ("https://user:pw@hooks.example.com/x", False),
        ("file:///etc/passwd", False),
        ("https:///nohost", False),
    ],
)
def test_only_https_urls_without_credentials_are_posted_to(url: str, safe: bool) -> None:
    assert is_safe_url(url) is safe
    if not safe:
        assert post_json(url, {"text": "x"}) is False  # refused before any connection


@pytest.mark.parametrize(
    "url", ["http://hooks.example.com/x", "https://a:b@h.example.com/", "https://h/x?code=k"]
)
def test_settings_refuse_an_unsafe_webhook_url(url: str) -> None:
    with pytest.raises(ValueError, match="outage_webhook_url"):
        Settings(outage_webhook_url=url)


def test_settings_parse_tiers_into_a_policy() -> None:
    from shared.outages.approval import Response
    from shared.outages.ingest import tier_policy

    policy = tier_policy(Settings(outage_tiers="gold=auto,bronze=notify"))
    assert policy.response_for("GOLD") is Response.AUTO
    assert policy.plan_response(["gold", None]) is Response.APPROVE
