"""The alert ledger: duplicates, updates, stages, per-region status, channels, any order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.events.health import parse_alert
from shared.outages.corroboration import HealthSignal, corroborate
from shared.outages.ledger import ChangeKind, DamagedLedgerEntry, LedgerEntry, record
from shared.outages.notification import Channel, notification_from_alert
from tests.event_samples import load
from tests.unit.outage_builders import T0, note, vm_id


def run(*notes, start=None):
    entry, changes = start, []
    for i, n in enumerate(notes):
        out = record(entry, n, T0 + timedelta(seconds=i))
        entry = out.entry
        changes.append(out.change)
    return entry, changes


def test_the_same_notification_three_times_is_one_entry_and_two_duplicates():
    entry, changes = run(note(), note(), note())
    assert [c.kind for c in changes] == [
        ChangeKind.NEW_INCIDENT,
        ChangeKind.DUPLICATE,
        ChangeKind.DUPLICATE,
    ]
    assert entry.communication_ids == ("c1",)


def test_a_new_communication_widens_then_narrows_regions_and_services():
    wider = note("c2", at=T0 + timedelta(minutes=30), regions=("eastus", "eastus2"))
    narrower = note("c3", at=T0 + timedelta(hours=1), regions=("eastus2",), service="Storage")
    entry, changes = run(note(), wider, narrower)
    assert changes[1].kind is ChangeKind.UPDATE
    assert changes[1].regions_added == ("eastus2",)
    assert changes[1].impact_changed
    assert changes[2].regions_removed == ("eastus",)
    assert changes[2].services_added == ("Storage",)
    assert changes[2].services_removed == ("Virtual Machines",)
    assert entry.latest.active_regions == ("eastus2",)


def test_resolved_then_rca_are_recorded_and_resolution_is_flagged_once():
    resolved = note("c2", stage="Resolved", at=T0 + timedelta(hours=2))
    rca = note("c3", stage="RCA", at=T0 + timedelta(days=3))
    entry, changes = run(note(), resolved, rca)
    assert changes[1].resolved
    assert not changes[2].resolved
    assert entry.stages_seen == ("Active", "RCA", "Resolved")
    assert entry.latest.stage == "RCA"
    assert entry.latest.active_regions == ()


def test_one_region_resolved_while_another_stays_active():
    both = note(regions=("eastus", "eastus2"))
    one_done = note(
        "c2", at=T0 + timedelta(hours=1), regions=("eastus", "eastus2"), resolved=("eastus",)
    )
    entry, changes = run(both, one_done)
    assert changes[1].regions_resolved == ("eastus",)
    assert entry.latest.active_regions == ("eastus2",)
    assert entry.latest.stage == "Active"


def test_the_same_notification_from_webhook_and_resource_graph_is_one_update():
    webhook = note(None, channel=Channel.WEBHOOK)
    polled = note(None, channel=Channel.RESOURCE_GRAPH)
    entry, changes = run(webhook, polled)
    assert changes[1].kind is ChangeKind.DUPLICATE
    assert entry.channels == (Channel.RESOURCE_GRAPH, Channel.WEBHOOK)
    assert len(entry.content_hashes) == 1


def test_without_communication_id_the_content_hash_separates_updates():
    first = note(None)
    later = note(None, at=T0 + timedelta(minutes=5), regions=("eastus", "westeurope"))
    _, changes = run(first, later)
    assert first.update_key != later.update_key
    assert first.update_key.startswith("AB-123/#")
    assert changes[1].kind is ChangeKind.UPDATE


def test_an_older_communication_arriving_late_is_stale_and_changes_nothing():
    newer = note("c2", at=T0 + timedelta(hours=1), regions=("eastus2",))
    entry, changes = run(newer, note("c1"))
    assert changes[1].kind is ChangeKind.STALE
    assert entry.latest.regions == ("eastus2",)
    assert entry.communication_ids == ("c1", "c2")


NOTES = [
    note("c1"),
    note("c2", at=T0 + timedelta(minutes=20), regions=("eastus", "eastus2")),
    note(None, at=T0 + timedelta(minutes=20), regions=("eastus", "eastus2")),
    note("c3", at=T0 + timedelta(minutes=40), regions=("eastus", "eastus2"), resolved=("eastus",)),
    note("c4", stage="Resolved", at=T0 + timedelta(hours=2)),
    note(None, stage="Resolved", at=T0 + timedelta(hours=2), channel=Channel.RESOURCE_GRAPH),
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(NOTES))), min_size=1, max_size=12), st.randoms())
def test_any_order_and_repetition_of_deliveries_converges_to_one_entry(picks, rnd):
    deliveries = [(NOTES[i], T0 + timedelta(seconds=i)) for i in picks]
    shuffled = list(deliveries)
    rnd.shuffle(shuffled)

    def fold(items):
        entry = None
        for n, at in items:
            entry = record(entry, n, at).entry
        return entry

    a, b = fold(deliveries), fold(shuffled)
    assert a == b
    assert a.to_json() == b.to_json()


def test_entry_round_trips_and_a_damaged_entry_is_a_typed_error():
    entry, _ = run(*NOTES)
    assert LedgerEntry.from_json(entry.to_json()) == entry
    with pytest.raises(DamagedLedgerEntry) as err:
        LedgerEntry.from_json(entry.to_json().replace('"schemaVersion":1', '"schemaVersion":9'))
    assert err.value.field == "schemaVersion"
    with pytest.raises(DamagedLedgerEntry):
        LedgerEntry.from_json("{not json")


@pytest.mark.parametrize(
    ("sample", "communication"),
    [
        ("legacy-activitylog-webhook_servicehealth_incident", "636439673646212912"),
        ("activity-log-event_servicehealth_incident", "636361902146035247"),
    ],
)
def test_published_service_health_payloads_become_ledger_entries(sample, communication):
    alert = parse_alert(load(sample))
    n = notification_from_alert(alert, Channel.WEBHOOK, communication)
    first = record(None, n, T0)
    again = record(first.entry, n, T0 + timedelta(seconds=1))
    assert first.change.kind is ChangeKind.NEW_INCIDENT
    assert again.change.kind is ChangeKind.DUPLICATE
    assert first.entry.tracking_id == alert.tracking_id.upper()
    assert first.entry.latest.regions == alert.regions


def test_a_resource_health_alert_opens_no_incident():
    alert = parse_alert(load("activity-log-event_resourcehealth"))
    with pytest.raises(InvalidInput, match="trackingId"):
        notification_from_alert(alert, Channel.ACTIVITY_LOG)


def test_platform_unavailability_corroborates_and_our_own_annotations_never_count():
    protected = {vm_id("a"): "eastus", vm_id("b"): "eastus", vm_id("c"): "westeurope"}
    later = T0 + timedelta(minutes=15)
    signals = [
        HealthSignal(vm_id("a"), "Unavailable", "Platform Initiated", T0),
        HealthSignal(vm_id("b"), "Unavailable", "Customer Initiated", T0),
        HealthSignal(vm_id("c"), "Unavailable", None, T0, annotation=True),
        HealthSignal(vm_id("zzz"), "Unavailable", "PlatformInitiated", T0),
    ]
    result = {r.region: r for r in corroborate(signals, protected, later)}
    assert result["eastus"].unavailable == 1
    assert result["eastus"].corroborated  # 1 of 2 meets the 50 % default
    assert not result["westeurope"].corroborated
    too_soon = corroborate(signals, protected, T0 + timedelta(minutes=5))
    assert not any(r.corroborated for r in too_soon)


def test_a_vm_that_came_back_no_longer_corroborates():
    protected = {vm_id("a"): "eastus"}
    signals = [
        HealthSignal(vm_id("a"), "Unavailable", "PlatformInitiated", T0),
        HealthSignal(vm_id("a"), "Available", "PlatformInitiated", T0 + timedelta(minutes=12)),
    ]
    (only,) = corroborate(signals, protected, T0 + timedelta(minutes=30))
    assert not only.corroborated
