"""Capture schedules: parsing, the due slot, one catch-up for missed windows, change captures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.vms.schedule import (
    ScheduleError,
    change_capture_due,
    decide,
    parse_schedule,
)

T0 = datetime(2026, 3, 10, 7, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT6H", timedelta(hours=6)),
        ("pt30m", timedelta(minutes=30)),
        ("P1D", timedelta(days=1)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("6h", timedelta(hours=6)),
        ("30m", timedelta(minutes=30)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
    ],
)
def test_intervals_parse_in_iso_8601_and_short_forms(text: str, expected: timedelta) -> None:
    assert parse_schedule(text).interval == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P1M",
        "P1Y",
        "PT",
        "P",
        "6x",
        "h",
        "0m",
        "61 * * * *",
        "* * *",
        "0 0 30 2 *",
        "PT90S",
        "PT30S",
    ],
)
def test_invalid_schedules_raise_schedule_error(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(text)


def test_cron_expression_is_parsed_by_the_cron_library() -> None:
    schedule = parse_schedule("0  */6 * * *")
    assert schedule.cron == "0 */6 * * *"
    assert schedule.latest_slot(T0) == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    assert schedule.next_slot(T0) == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_a_slot_exactly_now_is_the_latest_slot_and_the_next_is_later() -> None:
    schedule = parse_schedule("0 */6 * * *")
    at = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert schedule.latest_slot(at) == at
    assert schedule.next_slot(at) == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def test_interval_slots_are_anchored_at_the_epoch_so_every_worker_agrees() -> None:
    schedule = parse_schedule("PT6H")
    assert schedule.latest_slot(T0) == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    assert schedule.next_slot(T0) == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_first_capture_is_due_at_once() -> None:
    decision = decide(parse_schedule("PT6H"), None, T0)
    assert decision.due
    assert decision.slot == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


def test_capture_is_not_due_again_within_the_same_slot() -> None:
    captured = datetime(2026, 3, 10, 6, 3, tzinfo=UTC)
    decision = decide(parse_schedule("PT6H"), captured, T0)
    assert not decision.due
    assert decision.slot is None
    assert decision.next_run == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_many_missed_windows_are_caught_up_once_for_the_newest_slot() -> None:
    schedule = parse_schedule("PT1H")
    last = T0 - timedelta(days=3)
    first = decide(schedule, last, T0)
    assert first.due
    assert first.slot == datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    # once that catch-up completes, nothing else is due until the next slot
    after = decide(schedule, T0 + timedelta(minutes=5), T0 + timedelta(minutes=6))
    assert not after.due


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        decide(parse_schedule("PT1H"), None, datetime(2026, 1, 1))


@given(
    st.sampled_from(["PT1H", "PT6H", "1d", "0 3 * * *", "15 */4 * * 1-5", "*/20 * * * *"]),
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
)
def test_latest_slot_is_at_or_before_now_and_next_slot_is_after(text: str, now: datetime) -> None:
    schedule = parse_schedule(text)
    latest = schedule.latest_slot(now)
    following = schedule.next_slot(now)
    assert latest <= now < following
    assert schedule.next_slot(latest) == following  # no slot between them


def test_change_capture_waits_for_the_settle_delay_and_coalesces_a_burst() -> None:
    settle = timedelta(minutes=10)
    burst_end = T0 + timedelta(minutes=4)
    assert change_capture_due(burst_end, None, T0 + timedelta(minutes=9), settle) is None
    slot = change_capture_due(burst_end, None, burst_end + settle, settle)
    assert slot == burst_end.replace(second=0)
    started = burst_end + settle
    assert change_capture_due(burst_end, started, started + timedelta(hours=1), settle) is None


def test_no_change_means_no_change_capture() -> None:
    assert change_capture_due(None, None, T0, timedelta(minutes=5)) is None
