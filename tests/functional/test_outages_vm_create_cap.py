"""LIFEBOAT_VM_CREATE_CONCURRENCY caps the VM creates a plan keeps in flight per (subscription,
DR region): the plan_execution job on the emulator and Azurite, emulated clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from shared import bootstrap
from shared.bootstrap import get_deps
from shared.errors import ConfigurationError
from shared.outages.run import execution_view, submit_execution
from tests.support.images import driver
from tests.support.recovery import ALERT, plan_for, seed_dr, vms_in

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

NAMES = ["web1", "web2", "web3"]


def _vm_put_times(env: Any, cap: str | None, monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Run a three-VM plan under `cap` (None: the default); return its VM PUTs' emulated times."""
    if cap is not None:
        monkeypatch.setenv("LIFEBOAT_VM_CREATE_CONCURRENCY", cap)
    bootstrap.reset()
    seed_dr(env.arm, NAMES)
    plan = plan_for(NAMES)
    submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)
    with driver(env.arm) as d:
        assert d.run() is True
    view = execution_view(get_deps(), plan.plan_id)
    assert view is not None and view.state == "succeeded", view.to_dict()
    assert len(vms_in(env.arm)) == 3
    return [
        e.time
        for e in env.arm.log.entries()
        if e.method == "PUT" and "/virtualMachines/" in e.path and e.status < 300
    ]


def test_by_default_every_vm_create_of_a_small_plan_is_issued_in_one_round(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    times = _vm_put_times(lifeboat_env, None, monkeypatch)
    assert len(times) == 3 and len(set(times)) == 1, times


def test_a_cap_of_one_issues_each_vm_create_after_the_previous_one_finished(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    times = _vm_put_times(lifeboat_env, "1", monkeypatch)
    assert len(times) == 3 and times == sorted(times) and len(set(times)) == 3, times


@pytest.mark.parametrize("value", ["0", "1501", "many"])
def test_a_bad_cap_is_a_configuration_error_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    from shared.config import load_settings

    monkeypatch.setenv("LIFEBOAT_VM_CREATE_CONCURRENCY", value)
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert "VM_CREATE_CONCURRENCY" in str(err.value.setting).upper()
