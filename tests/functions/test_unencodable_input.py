"""A string that cannot be encoded as UTF-8 (a lone surrogate) is invalid input at every edge."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from functions.images import images_replicate
from functions.resource_events import on_resource_event
from functions.service_health import service_health
from functions.templates import templates_backup, templates_restore
from shared.bootstrap import get_deps
from shared.events import EventType, Operation
from tests.event_samples import (
    EVENT_GRID_SAMPLES,
    alert_samples,
    event_grid_event,
    http_post,
    load,
)
from tests.plugins.arm import SUBSCRIPTION

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

LONE = "\ud800"
TEMPLATE = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/images/providers/"
    "Microsoft.VirtualMachineImages/imageTemplates/web"
)


def _post(function: Any, route: str, body: Any) -> tuple[int, dict[str, Any]]:
    response = function(http_post(body, route))
    return response.status_code, json.loads(response.get_body())


@pytest.mark.parametrize(
    ("function", "route", "body", "field"),
    [
        (templates_restore, "templates/restore", {"templateId": TEMPLATE + LONE}, "templateId"),
        (templates_restore, "templates/restore", {"templateId": TEMPLATE, "name": LONE}, "name"),
        (
            templates_restore,
            "templates/restore",
            {"templateId": TEMPLATE, "backup": LONE},
            "backup",
        ),
        (templates_restore, "templates/restore", {"templateId": TEMPLATE, LONE: 1}, "\\ud800"),
        (templates_backup, "templates/backup", {"templateId": TEMPLATE + LONE}, "templateId"),
        (images_replicate, "images/replicate", {"templateId": TEMPLATE + LONE}, "templateId"),
        (
            images_replicate,
            "images/replicate",
            {"artifactId": f"https://a{LONE}.example/c/b"},
            "artifactId",
        ),
        (images_replicate, "images/replicate", {"templateId": TEMPLATE, "region": LONE}, "region"),
    ],
)
def test_an_unencodable_string_in_a_request_is_400_naming_the_field(
    lifeboat_env: Any, function: Any, route: str, body: Any, field: str
) -> None:
    lifeboat_env.arm.log.clear()

    status, answer = _post(function, route, body)

    assert status == 400
    assert answer["error"].startswith(f"{field}:")
    assert lifeboat_env.arm.log.mutations() == []
    assert get_deps().jobs.list() == []


def test_an_unencodable_string_in_an_alert_is_400(lifeboat_env: Any) -> None:
    alert = alert_samples()["alert-common-schema_servicehealth_maintenance_alertContext"]
    alert["data"]["essentials"]["monitorCondition"] = LONE

    status, answer = _post(service_health, "service-health", alert)

    assert status == 400
    assert answer["error"].startswith("data.essentials.monitorCondition:")


def _template_event(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = copy.deepcopy(load(EVENT_GRID_SAMPLES[0])[0])
    raw.update(eventType=EventType.RESOURCE_WRITE_SUCCESS, subject=TEMPLATE, id="write-1")
    raw["data"].update(operationName=Operation.IMAGE_TEMPLATE_WRITE, resourceUri=TEMPLATE)
    for key, value in changes.items():
        if key.startswith("data_"):
            raw["data"][key.removeprefix("data_")] = value
        else:
            raw[key] = value
    return raw


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": TEMPLATE + LONE}, "subject"),
        ({"data_operationName": Operation.IMAGE_TEMPLATE_WRITE + LONE}, "data.operationName"),
        ({"data_status": LONE}, "data.status"),
        ({"id": LONE}, "id"),
    ],
)
def test_an_unencodable_event_is_dropped_with_a_log_line_not_redelivered(
    lifeboat_env: Any, caplog: pytest.LogCaptureFixture, changes: dict[str, Any], field: str
) -> None:
    caplog.set_level(logging.INFO, logger="functions.resource_events")
    lifeboat_env.arm.log.clear()

    on_resource_event(event_grid_event(_template_event(**changes)))

    [record] = [r for r in caplog.records if r.name == "functions.resource_events"]
    assert getattr(record, "outcome", None) == "dropped"
    assert getattr(record, "field", None) == field
    assert lifeboat_env.arm.log.entries() == []
