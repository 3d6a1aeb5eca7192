"""Resource Health corroboration of an outage, through POST /api/service-health on the emulator
and Azurite: platform-initiated Unavailable of protected VMs corroborates; a customer-initiated
stop never does; an unreadable status is unknown and the answer is still 200."""

from __future__ import annotations

from typing import Any

import pytest

from functions.plans import plans_get
from tests.functional.test_outages import _alert, _declare, _protected_estate, _route, _webhook
from tests.support.vms import vm_id

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _evidence(body: Any) -> Any:
    return body["ledger"]["entry"]["corroboration"]


def test_platform_initiated_unavailability_of_protected_vms_corroborates(lifeboat_env: Any) -> None:
    env = lifeboat_env
    _protected_estate(env, "web1", "web2")
    env.arm.faults.region_down("eastus")
    _declare(env)

    status, body = _alert(_webhook(env))
    assert status == 200
    first = _evidence(body)["eastus"]
    # Unavailable since just now: not yet the ten minutes corroboration asks for.
    assert (first["corroborated"], first["checked"], first["unknown"]) == (False, 2, False)

    env.arm.clock.advance(660)
    status, body = _alert(_webhook(env))  # the same alert again, later: evidence refreshed
    assert status == 200
    later = _evidence(body)["eastus"]
    assert (later["corroborated"], later["unavailable"], later["checked"]) == (True, 2, 2)

    status, plan = _route(plans_get, "GET", "plans/x", body["plan"]["planId"])
    assert status == 200 and plan["corroboration"]["eastus"]["corroborated"] is True


def test_a_customer_initiated_stop_never_corroborates(lifeboat_env: Any) -> None:
    env = lifeboat_env
    _protected_estate(env, "web1")
    env.arm.state.meta(vm_id("web1"))["power"] = "deallocated"  # like our clean copy's stop
    _declare(
        env,
        {
            "trackingId": "LB1-OUT",
            "title": "Storage in East US",
            "regions": ["eastus"],
            "services": ["Storage"],
            "stages": [{"stage": "Active"}],
        },
    )
    _alert(_webhook(env))
    env.arm.clock.advance(660)
    status, body = _alert(_webhook(env))
    assert status == 200
    evidence = _evidence(body)["eastus"]
    assert (evidence["corroborated"], evidence["unavailable"], evidence["checked"]) == (False, 0, 1)


def test_an_unreadable_status_is_unknown_and_the_answer_still_200(lifeboat_env: Any) -> None:
    env = lifeboat_env
    _protected_estate(env, "web1")
    env.arm.faults.region_down("eastus")
    _declare(env)
    env.arm.faults.fast_retries()
    env.arm.faults.server_errors(1.0, status=500, path_contains="/availabilityStatuses/")

    status, body = _alert(_webhook(env))
    assert status == 200 and body["plan"] is not None
    evidence = _evidence(body)["eastus"]
    assert (evidence["corroborated"], evidence["unknown"], evidence["failed"]) == (None, True, 1)


def test_the_reconcile_poll_records_corroboration_too(lifeboat_env: Any) -> None:
    from azure.functions.timer import TimerRequest

    from functions.reconcile import reconcile
    from shared.bootstrap import get_deps

    env = lifeboat_env
    _protected_estate(env, "web1")
    env.arm.faults.region_down("eastus")
    _declare(env)
    reconcile(TimerRequest(past_due=True))
    env.arm.clock.advance(660)
    reconcile(TimerRequest(past_due=True))  # the same row again: evidence refreshed

    (entry,) = get_deps().ledger.list()
    assert entry.corroboration is not None
    assert entry.corroboration["eastus"]["corroborated"] is True
