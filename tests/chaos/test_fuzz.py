"""Seeded fuzzing of every HTTP route and the Event Grid trigger: invalid input changes nothing.

10,000 cases (tests.chaos.fuzz builds them; the seed is fixed, so a failure replays exactly).
For every case: no 5xx, no exception out of a function. For every batch: no ARM write, no job,
no request to a host that is not the local Azure, and for out-of-scope input not even a read in
the other subscription.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import azure.functions as func
import pytest

from functions.images import images_replicate
from functions.jobs import get_job
from functions.resource_events import on_resource_event
from functions.service_health import service_health
from functions.status import status
from functions.templates import templates_backup, templates_restore
from functions.vms import vms_protect
from shared.bootstrap import get_deps
from tests.chaos import fuzz
from tests.chaos.scenarios import Stage
from tests.chaos.wire import is_write
from tests.event_samples import event_grid_event, http_post
from tests.plugins.chaos import tally

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

SEED = 20_240_601
COUNTS = {"junk": 400, "mutations": 700, "out_of_scope": 150, "hosts": 450, "surrogates": 250}
POSTS: dict[str, tuple[Callable[[func.HttpRequest], func.HttpResponse], str]] = {
    "images-replicate": (images_replicate, "images/replicate"),
    "templates-backup": (templates_backup, "templates/backup"),
    "templates-restore": (templates_restore, "templates/restore"),
    "service-health": (service_health, "service-health"),
    "vms-protect": (vms_protect, "vms/protect"),
}
# Routes whose every fuzz case is a request that must be refused (4xx).
REFUSED = ("images-replicate", "templates-backup", "templates-restore", "jobs")
LOCAL = {"arm", "blob", "queue", "table"}


def _get(route: str, params: dict[str, str], route_params: dict[str, str]) -> func.HttpRequest:
    return func.HttpRequest(
        method="GET", url=f"http://localhost:7071/api/{route}", headers={}, params=params,
        route_params=route_params, body=b"",
    )  # fmt: skip


def call_http(target: str, value: Any) -> int:
    """Send one case to the route's real function; return the HTTP status."""
    if target == "jobs":
        response = get_job(_get(f"jobs/{value}", {}, {"id": value}))
    elif target == "status":
        response = status(_get("status", value, {}))
    else:
        function, route = POSTS[target]
        response = function(http_post(value, route))
    return response.status_code


def deliver_event(raw: dict[str, Any]) -> None:
    """Deliver one event as the host builds it (its converter, or the object when it refuses)."""
    try:
        event = event_grid_event(raw)
    except (ValueError, TypeError, KeyError):
        event = func.EventGridEvent(
            id=str(raw.get("id")), data=raw.get("data"), topic=str(raw.get("topic")),
            subject=str(raw.get("subject")), event_type=str(raw.get("eventType")),
            event_time=None, data_version=str(raw.get("dataVersion")),
        )  # fmt: skip
    on_resource_event(event)


def run_cases(stage: Stage, cases: Iterable[fuzz.Case], send: Callable[[Any], int | None],
              refused: bool, exact: int | None = None) -> None:  # fmt: skip
    """Send every case; fail (after all were sent) with the first few bad answers."""
    bad: list[str] = []
    sent = 0
    for case in cases:
        sent += 1
        try:
            with stage.wire.scope("fuzz"):
                answer = send(case.value)
        except Exception as exc:
            tally("unhandled")
            bad.append(f"{type(exc).__name__}: {str(exc)[:120]} <- {_show(case.value)}")
            continue
        if answer is None:
            continue
        if answer >= 500:
            tally("5xx")
        wrong = answer >= 500 or (refused and not 400 <= answer < 500)
        if wrong or (exact is not None and answer != exact):
            bad.append(f"{answer} <- {_show(case.value)}")
    tally("fuzz cases", sent)
    assert not bad, f"{len(bad)} of {sent} cases answered wrongly, e.g.:\n" + "\n".join(bad[:5])


def _show(value: Any) -> str:
    text = value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else repr(value)
    return text[:200]


def nothing_changed(stage: Stage, family: str) -> None:
    """No ARM write, no job, only local hosts; out-of-scope input read nothing there either."""
    writes = [f"{e.method} {e.path}" for e in stage.arm.log.entries() if is_write(e.method, e.path)]
    assert writes == [], f"ARM writes from invalid input: {writes[:5]}"
    jobs = [f"{j.kind} {j.key}" for j in get_deps().jobs.list()]
    assert jobs == [], f"jobs from invalid input: {jobs[:5]}"
    foreign = {w.service for w in stage.wire.sent} - LOCAL
    assert not foreign, f"requests to hosts outside Azure: {foreign}"
    if family == "out_of_scope":
        other = [
            e.path
            for e in stage.arm.log.entries()
            if e.path.lower().startswith("/subscriptions/")
            and e.path.split("/")[2].lower() != fuzz.IN_SCOPE
        ]
        assert other == [], f"ARM requests in subscriptions out of scope: {other[:5]}"


HTTP = [(target, family) for target, spec in fuzz.TARGETS.items() for family in spec.families]


@pytest.mark.parametrize(("target", "family"), HTTP, ids=[f"{t}-{f}" for t, f in HTTP])
def test_http_routes_refuse_invalid_input_with_4xx_and_change_nothing(
    stage: Stage, target: str, family: str
) -> None:
    spec = fuzz.TARGETS[target]
    cases = fuzz.http_cases(spec, family, COUNTS[family], SEED)
    exact = 400 if family == "out_of_scope" else None

    run_cases(stage, cases, lambda v: call_http(target, v), target in REFUSED, exact)

    nothing_changed(stage, family)


@pytest.mark.parametrize("family", fuzz.EVENT_FAMILIES)
def test_event_grid_trigger_drops_invalid_events_and_changes_nothing(
    stage: Stage, family: str
) -> None:
    cases = fuzz.event_cases(family, COUNTS[family], SEED)

    run_cases(stage, cases, deliver_event, refused=False)

    nothing_changed(stage, family)


def test_the_generators_are_seeded() -> None:
    spec = fuzz.TARGETS["images-replicate"]
    first = [c.value for c in fuzz.http_cases(spec, "mutations", 50, SEED)]
    again = [c.value for c in fuzz.http_cases(spec, "mutations", 50, SEED)]
    assert first == again
    assert len({json.dumps(v.decode("latin-1")) for v in first}) > 25, "cases differ"
