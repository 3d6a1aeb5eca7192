"""The reconcile timer sweeps builds every run and templates once a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.services.reconcile import TEMPLATE_SWEEP_EVERY, template_sweep_due

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_templates_are_swept_when_never_swept() -> None:
    assert template_sweep_due(None, NOW)


def test_templates_are_not_swept_again_within_a_day() -> None:
    assert not template_sweep_due(NOW - timedelta(hours=23, minutes=59), NOW)


def test_templates_are_swept_again_after_a_day() -> None:
    assert template_sweep_due(NOW - TEMPLATE_SWEEP_EVERY, NOW)
