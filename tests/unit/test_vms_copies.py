"""Copy admission within Azure's limits, and reading a refused CopyStart as busy or failed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.vms.copies import (
    CopyInFlight,
    CopyRequest,
    RefusalKind,
    classify_refusal,
    copies_to_start,
)

T0 = datetime(2026, 3, 10, tzinfo=UTC)
SUB_A = "00000000-0000-0000-0000-00000000000a"
SUB_B = "00000000-0000-0000-0000-00000000000b"


def req(
    rid: str, family: str, created_min: int = 0, deadline_min: int = 600, **kw: str
) -> CopyRequest:
    return CopyRequest(
        rid,
        kw.get("subscription", SUB_A),
        kw.get("region", "westus"),
        family,
        T0 + timedelta(minutes=created_min),
        T0 + timedelta(minutes=deadline_min),
    )


def test_waiting_copies_start_most_urgent_rpo_first_within_the_cap() -> None:
    waiting = [req("late", "f1", deadline_min=900), req("soon", "f2", deadline_min=60)]
    waiting.append(req("mid", "f3", deadline_min=300))
    chosen = copies_to_start(waiting, [], cap=2)
    assert [c.request_id for c in chosen] == ["soon", "mid"]


def test_in_flight_copies_count_against_the_cap_per_subscription_and_region() -> None:
    flying = [CopyInFlight(SUB_A, "westus", f"busy{i}") for i in range(3)]
    waiting = [
        req("a", "f1"),
        req("b", "f2", region="eastus2"),
        req("c", "f3", subscription=SUB_B),
    ]
    chosen = copies_to_start(waiting, flying, cap=3)
    assert {c.request_id for c in chosen} == {"b", "c"}


def test_one_copy_per_disk_family_and_oldest_snapshot_first() -> None:
    waiting = [req("new", "disk1", created_min=60, deadline_min=10), req("old", "disk1")]
    assert [c.request_id for c in copies_to_start(waiting, [])] == ["old"]


def test_a_family_with_a_copy_in_flight_waits_even_when_urgent() -> None:
    flying = [CopyInFlight(SUB_A.upper(), "WestUS", "DISK1")]
    assert copies_to_start([req("x", "disk1", deadline_min=1)], flying) == ()


def test_default_cap_is_95_under_azures_100() -> None:
    waiting = [req(f"r{i}", f"f{i}") for i in range(120)]
    assert len(copies_to_start(waiting, [])) == 95


def test_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="cap"):
        copies_to_start([], [], cap=0)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([SUB_A, SUB_B]),
            st.sampled_from(["westus", "northeurope"]),
            st.integers(0, 12),  # family
            st.integers(0, 1000),  # created
            st.integers(0, 1000),  # deadline
        ),
        max_size=60,
    ),
    st.lists(st.tuples(st.sampled_from([SUB_A, SUB_B]), st.integers(0, 12)), max_size=10),
    st.integers(1, 6),
)
def test_admission_never_breaks_a_platform_limit(
    raw: list[tuple[str, str, int, int, int]], raw_flying: list[tuple[str, int]], cap: int
) -> None:
    waiting = [
        CopyRequest(f"r{i}", s, r, f"f{f}", T0 + timedelta(minutes=c), T0 + timedelta(minutes=d))
        for i, (s, r, f, c, d) in enumerate(raw)
    ]
    flying = [CopyInFlight(s, "westus", f"f{f}") for s, f in raw_flying]
    chosen = copies_to_start(waiting, flying, cap)
    in_flight = Counter(c.lane for c in flying) + Counter(c.lane for c in chosen)
    assert all(in_flight[c.lane] <= cap for c in chosen)
    chosen_families = [c.family for c in chosen]
    assert len(chosen_families) == len(set(chosen_families))
    assert not set(chosen_families) & {c.family for c in flying}
    for c in chosen:  # nothing older of the same family is left waiting
        assert all(
            (w.source_created, w.request_id) >= (c.source_created, c.request_id)
            for w in waiting
            if w.family == c.family
        )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("OperationNotAllowed", "The number of ongoing CopyStart requests has reached the limit."),
        ("Conflict", "Another copy of this disk is in progress."),
        ("BadRequest", "CopyStart requests limit reached for subscription."),
        ("TooManyRequests", "The request is being throttled."),
    ],
)
def test_busy_refusals_wait_with_jitter(code: str, message: str) -> None:
    refusal = classify_refusal(code, message)
    assert refusal.kind is RefusalKind.BUSY
    assert refusal.wait_seconds(0.0) < refusal.wait_seconds(0.99)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("OperationNotAllowed", "CopyStart creation is not supported for this subscription."),
        ("InvalidParameter", "Entity not of expected type."),
        ("BadRequest", "The resource is in an invalid state."),
        ("AuthorizationFailed", "The client does not have authorization."),
        (None, None),
    ],
)
def test_other_refusals_fail_fast_with_azures_message(
    code: str | None, message: str | None
) -> None:
    refusal = classify_refusal(code, message)
    assert refusal.kind is RefusalKind.FAIL
    assert refusal.message == (message or "")


def test_busy_wait_is_never_shorter_than_retry_after() -> None:
    refusal = classify_refusal("TooManyRequests", "throttled", retry_after=300)
    assert refusal.wait_seconds(0.0) == 300
    assert refusal.wait_seconds(1.0) == 300
