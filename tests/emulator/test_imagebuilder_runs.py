"""The Image Builder run state machine on an injected clock (no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from emulator.providers import aib_runs
from emulator.providers.aib_runs import Run

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_sub_states_follow_the_documented_order() -> None:
    run = Run("abc", T0)
    seen = []
    for name, _ in aib_runs.PHASES:
        moment = at(aib_runs.phase_start(name) + 1)
        status = aib_runs.status(run, moment)
        seen.append(status["runSubState"])
        assert status["runState"] == "Running"
        assert status["endTime"] == aib_runs.NOT_ENDED
    assert seen == ["Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing"]


def test_run_ends_with_its_final_state_only_after_the_whole_build() -> None:
    run = Run("abc", T0, final_state="Succeeded")
    end = aib_runs.total_seconds()
    assert aib_runs.status(run, at(end - 1))["runState"] == "Running"
    done = aib_runs.status(run, at(end))
    assert done["runState"] == "Succeeded"
    assert done["runSubState"] == "Distributing"
    assert done["endTime"].startswith("2026-01-01T00:38:00")


def test_failed_outcome_fails_after_customizing_with_a_build_log_message() -> None:
    run = Run("abc", T0, outcome="Failed")
    fail_at = aib_runs.phase_start("Optimizing")
    assert aib_runs.status(run, at(fail_at - 2))["runState"] == "Running"
    failed = aib_runs.status(run, at(fail_at + 5000))
    assert failed["runState"] == "Failed"
    assert failed["runSubState"] == "Customizing"
    assert "ABC" in failed["message"] and "customization.log" in failed["message"]


def test_cancel_goes_through_canceling_to_canceled() -> None:
    run = Run("abc", T0, canceling_since=at(100))
    assert aib_runs.status(run, at(50))["runState"] == "Running"
    assert aib_runs.status(run, at(150))["runState"] == "Canceling"
    run.canceled_at = at(200)
    canceled = aib_runs.status(run, at(300))
    assert (canceled["runState"], canceled["runSubState"]) == ("Canceled", "Building")
    assert aib_runs.is_running(run, at(300)) is False


def test_run_round_trips_through_meta_dicts() -> None:
    run = Run("abc", T0, outcome="PartiallySucceeded", failed_at=at(9))
    assert Run.from_dict(run.to_dict()) == run


def test_outcome_comes_from_override_then_tag_then_default() -> None:
    tag = aib_runs.OUTCOME_TAG
    assert aib_runs.outcome_of({tag: "failed"}, None) == "Failed"
    assert aib_runs.outcome_of({tag: "Failed"}, "PartiallySucceeded") == "PartiallySucceeded"
    assert aib_runs.outcome_of({}, None) == "Succeeded"
    assert aib_runs.outcome_of({tag: "nonsense"}, None) == "Succeeded"
