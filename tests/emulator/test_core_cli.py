"""`python -m emulator`: import has no side effects; main() serves a seeded estate."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from tests.plugins.arm import AUTH, SUBSCRIPTION, arm_id, vm_resource

ROOT = Path(__file__).resolve().parents[2]
OTHER = "00000000-0000-0000-0000-0000000000ff"


def test_the_demo_estate_prints_settings_the_app_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    from emulator.__main__ import estate_scope
    from shared.config import Settings

    subscriptions, regions = estate_scope(
        json.loads((ROOT / "emulator" / "estates" / "demo.json").read_text())
    )
    assert (subscriptions, regions) == (["6b1f3c2e-8d4a-4f5b-9c7e-2a1d0e9f8b7c"], ["eastus"])
    monkeypatch.setenv("LIFEBOAT_SUBSCRIPTIONS", ",".join(subscriptions))
    monkeypatch.setenv("LIFEBOAT_PRIMARY_REGIONS", ",".join(regions))
    settings = Settings()
    assert (settings.subscriptions, settings.primary_regions) == (tuple(subscriptions), ("eastus",))


def test_importing_the_cli_starts_nothing() -> None:
    probe = (
        "import sys, threading, emulator.__main__ as m; "
        "print(callable(m.main), 'emulator.server' in sys.modules, threading.active_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "False", "1"]


def test_main_seeds_the_estate_and_prints_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from emulator.__main__ import main

    estate = tmp_path / "estate.json"
    west = vm_resource("w1", location="westus")
    west["id"] = west["id"].replace(SUBSCRIPTION, OTHER)
    resources = [{"id": arm_id("disks", "d1"), "location": "eastus"}, vm_resource("e1"), west]
    estate.write_text(json.dumps({"resources": resources}))
    stop, ready = threading.Event(), threading.Event()
    runner = threading.Thread(target=main, args=(["--estate", str(estate)], stop, ready))
    runner.start()
    try:
        assert ready.wait(timeout=60)
        out = capsys.readouterr().out
        env = dict(
            line.removeprefix("export ").split("=", 1)
            for line in out.splitlines()
            if line.startswith("export ")
        )
        assert env["LIFEBOAT_CREDENTIAL"] == "emulator"
        assert env["LIFEBOAT_POLLING_INTERVAL_SECONDS"] == "0"
        assert "AzureWebJobsStorage" in env and "LIFEBOAT_DR_STORAGE_CONNECTION_STRING" in env
        # The estate's subscriptions, and the regions of its VMs as the protected regions.
        assert env["LIFEBOAT_SUBSCRIPTIONS"] == f"{SUBSCRIPTION},{OTHER}"
        assert env["LIFEBOAT_PRIMARY_REGIONS"] == "eastus,westus"
        endpoint, ca = env["LIFEBOAT_ARM_ENDPOINT"], env["LIFEBOAT_ARM_CA_BUNDLE"]
        disk = requests.get(
            f"{endpoint}{arm_id('disks', 'd1')}?api-version=2026-03-02",
            headers=AUTH,
            verify=ca,
            timeout=10,
        )
        assert disk.status_code == 200
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()
