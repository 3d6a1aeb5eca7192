"""Scene: real health alerts and ARM events through the real entry points; each decision printed."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

TITLE = "Health alerts and resource events, through the app's real entry points"

Say = Callable[[str], None]

_ALERT_LABELS = {
    "alert-common-schema_servicehealth_maintenance_alertContext": (
        "common schema · Service Health maintenance (enums sent as numbers)"
    ),
    "alert-common-schema_resourcehealth_alertContext": "common schema · Resource Health",
    "alert-common-schema_test-action_resourcehealth": (
        'common schema · Resource Health test action ("Resource Health" with a space)'
    ),
    "legacy-activitylog-webhook_servicehealth_incident": "legacy webhook · Service Health incident",
    "servicehealth_impactedServices_escaped_example": (
        "legacy webhook · incident, two services in an escaped impactedServices string"
    ),
    "activity-log-event_servicehealth_incident": "activity-log event · Service Health incident",
    "activity-log-event_resourcehealth": "activity-log event · Resource Health",
}
_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
_TEST_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
_TEMPLATE = (
    f"/subscriptions/{_SUBSCRIPTION}/resourceGroups/images/providers/"
    "Microsoft.VirtualMachineImages/imageTemplates/ubuntu-base"
)
_VERSION = (
    f"/subscriptions/{_SUBSCRIPTION}/resourceGroups/images/providers/"
    "Microsoft.Compute/galleries/golden/images/web/versions/1.0.4"
)


def run(say: Say) -> bool:
    """Post every alert sample and deliver every ARM event; return False on any surprise."""
    import function_app  # noqa: F401  (the app as the host loads it: logging, blueprints)
    from shared.bootstrap import get_deps

    regions = ", ".join(get_deps().settings.primary_regions) or "(none)"
    say(f"Protected regions (LIFEBOAT_PRIMARY_REGIONS, set by the demo): {regions}")
    with _local_estate():  # incidents in a protected region go to the DR-region ledger
        say("\nPOST /api/service-health")
        alerts_ok = all([_post_alert(label, body, say) for label, body in _alerts()])
        say(
            "\nEvent Grid → on_resource_event (the local ARM emulator and Azurite stand in for "
            "Azure)"
        )
        events_ok = all([_deliver(label, raw, say) for label, raw in _events()])
    return alerts_ok and events_ok


def _alerts() -> Iterator[tuple[str, Any]]:
    from tests.event_samples import SERVICE_HEALTH_ESSENTIALS, alert_samples, common_alert, load

    for name, body in alert_samples().items():
        yield _ALERT_LABELS.get(name, name), body
    ctx = load("alert-common-schema_servicehealth_maintenance_alertContext")["alertContext"]
    ctx["properties"].update(
        incidentType="Incident",
        stage="Resolved",
        impactedServices=[{"ImpactedRegions": [{"RegionName": "Global"}], "ServiceName": "DNS"}],
    )
    ctx["status"] = "Resolved"
    yield (
        "common schema · global incident, resolved (derived from the maintenance sample)",
        common_alert(ctx, SERVICE_HEALTH_ESSENTIALS),
    )
    yield (
        "common schema · a metric alert (not a health alert)",
        load("alert-common-schema_full_metric_resolved"),
    )
    yield "a body that is not JSON", b"<html>oops</html>"


def _post_alert(label: str, body: Any, say: Say) -> bool:
    from functions.service_health import service_health
    from tests.event_samples import http_post

    response = service_health(http_post(body))
    status = int(response.status_code)
    answer = json.loads(response.get_body())
    say(f"  {label}")
    if status == 200:
        regions = ", ".join(answer["regions"]) or "no region named"
        kind = f"{answer['incidentType']} · " if answer["incidentType"] else ""
        affects = "YES" if answer["affectsProtectedRegion"] else "no"
        say(
            f"    → 200 {answer['source']} · {kind}{answer['stage']} · {regions}"
            f" · affects protected: {affects} · action: {answer['action']}"
        )
    else:
        say(f"    → {status} rejected: {answer['error']}")
    return status < 500


def _events() -> Iterator[tuple[str, dict[str, Any]]]:
    from shared.events import EventType, Operation
    from tests.event_samples import EVENT_GRID_SAMPLES, load

    for name in EVENT_GRID_SAMPLES:
        yield "published sample", load(name)[0]
    yield "published sample", load("eventgrid_SubscriptionValidationEvent")[0]
    base = load(EVENT_GRID_SAMPLES[0])[0]
    derived = [
        (EventType.RESOURCE_ACTION_SUCCESS, Operation.IMAGE_TEMPLATE_RUN, _TEMPLATE),
        (EventType.RESOURCE_ACTION_FAILURE, Operation.IMAGE_TEMPLATE_RUN, _TEMPLATE),
        (EventType.RESOURCE_WRITE_SUCCESS, Operation.IMAGE_TEMPLATE_WRITE, _TEMPLATE),
        (EventType.RESOURCE_DELETE_SUCCESS, Operation.IMAGE_TEMPLATE_DELETE, _TEMPLATE),
        (EventType.RESOURCE_WRITE_SUCCESS, Operation.GALLERY_IMAGE_VERSION_WRITE, _VERSION),
    ]
    for number, (event_type, operation, subject) in enumerate(derived, start=1):
        raw = copy.deepcopy(base)
        raw.update(id=f"demo-{number}", eventType=event_type, subject=subject)
        raw["data"].update(operationName=operation, resourceUri=subject)
        yield "derived sample", raw
    broken = copy.deepcopy(base)
    del broken["data"]["operationName"]
    yield "sample minus data.operationName", broken


def _deliver(label: str, raw: dict[str, Any], say: Say) -> bool:
    from functions.resource_events import on_resource_event
    from tests.event_samples import event_grid_event

    short_type = str(raw.get("eventType", "?")).rsplit(".", 1)[-1]
    operation = (raw.get("data") or {}).get("operationName", "(no operationName)")
    say(f"  {short_type} · {operation}")
    jobs, blobs = _effects()
    with _decisions() as decisions:
        on_resource_event(event_grid_event(raw))
    for record in decisions:
        reason = getattr(record, "reason", "?")
        if getattr(record, "outcome", None) == "dropped":
            say(f"    → dropped as invalid: {reason}   [{label}]")
        else:
            route, outcome = getattr(record, "route", "?"), getattr(record, "outcome", "?")
            say(f"    → route {route} · {outcome}: {reason}   [{label}]")
    now_jobs, now_blobs = _effects()
    for job in sorted(now_jobs - jobs):
        say(f"      job submitted: {job} (the run_job worker advances it)")
    for blob in sorted(now_blobs - blobs):
        say(f"      DR storage: wrote {blob}")
    return len(decisions) == 1


def _effects() -> tuple[set[str], set[str]]:
    """The jobs on the backbone and the blobs in the DR account's template container."""
    from shared.bootstrap import get_deps
    from tests.support.templates import dr_blobs

    jobs = {f"{j.kind} {j.id}" for j in get_deps().jobs.list()}
    return jobs, set(dr_blobs())


@contextmanager
def _decisions() -> Iterator[list[logging.LogRecord]]:
    """Collect the log records in which on_resource_event states its decision."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("functions.resource_events")
    handler = Collect(level=logging.INFO)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


@contextmanager
def _local_estate() -> Iterator[None]:
    """Local Azure holding the template (one finished build) that the derived events name."""
    from emulator.stack import local_azure
    from shared.bootstrap import get_deps

    with local_azure(_SUBSCRIPTION) as local:
        local.arm.seed(_estate())
        builder = get_deps().clients.image_builder(_SUBSCRIPTION).virtual_machine_image_templates
        builder.begin_run("images", "ubuntu-base", polling=False)
        local.arm.clock.advance(3600)  # the build ends on the emulated clock
        yield


def _estate() -> dict[str, Any]:
    """The build template (its last run succeeded) and the gallery version it published."""
    from tests.support.images import estate, template

    seeded = estate(template("ubuntu-base", ("SharedImage",)))
    for resource in seeded["resources"]:
        resource["id"] = resource["id"].replace(_TEST_SUBSCRIPTION, _SUBSCRIPTION)
    return seeded
