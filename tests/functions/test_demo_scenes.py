"""Demo scene 1 shows what the deployed app would do with each event: its handlers run."""

from __future__ import annotations

from typing import Any

import pytest

from demo.__main__ import DEMO_ENVIRONMENT
from shared import bootstrap

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def run_scene(monkeypatch: pytest.MonkeyPatch, scene: Any) -> str:
    """Run one demo scene in the demo's environment; return its printed text (asserted ok)."""
    for key, value in DEMO_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    lines: list[str] = []
    try:
        ok = scene.run(lines.append)
    finally:
        bootstrap.reset()
    text = "\n".join(lines)
    assert ok, text
    return text


def test_scene_one_runs_every_event_through_its_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    from demo.scenes import alerts

    text = run_scene(monkeypatch, alerts)
    assert "no handler registered" not in text
    assert "job submitted: image_build" in text and "job submitted: image_replication" in text
    assert "DR storage: wrote" in text and "latest.json" in text


def test_scene_three_reads_the_generations_from_image_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from demo.scenes import templates

    text = run_scene(monkeypatch, templates)
    assert "legacy-web: hyperv_gen1" in text and "ubuntu-web: hyperv" not in text


def test_the_outage_scene_plans_approves_and_runs_the_vms_in_the_dr_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from demo.scenes import outage

    text = run_scene(monkeypatch, outage)
    assert "ledger new_incident" in text and "ledger duplicate" in text
    assert "a second approval → 409" in text and "Execution succeeded: 3 VM(s)" in text
