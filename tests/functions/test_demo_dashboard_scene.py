"""The demo's last scene: the ledger it prints, and the screenshot of the page it saves."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.functions.test_demo_scenes import run_scene

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def test_the_dashboard_scene_is_last_and_saves_a_screenshot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from demo.scenes import SCENES, dashboard

    assert SCENES[-1] == "demo.scenes.dashboard"
    monkeypatch.chdir(tmp_path)
    text = run_scene(monkeypatch, dashboard)
    assert "unprotected  vm     odd" in text and "ok           vm     web1" in text
    if shutil.which("chromedriver"):
        shot = tmp_path / dashboard.SCREENSHOT
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
