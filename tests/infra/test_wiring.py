"""The infra delivers to the functions the code indexes, under the names the code uses."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest

from shared.events.constants import EventSchema
from shared.routing import RULES
from tests.infra import surface
from tests.infra.bicep import Scope, main_scope, only_call, only_resource
from tests.infra.sync import EVENT_ROUTING_FILE, event_routing, render

MAIN = main_scope()
EVENTS = only_call(MAIN, "modules/event-subscription.bicep")
ALERTS = only_call(MAIN, "modules/action-group.bicep")
STATE = only_call(MAIN, "modules/storage-state.bicep")
DR = only_call(MAIN, "modules/storage-dr.bicep")
APP = only_call(MAIN, "modules/function-app.bicep")
SETTING_REF = re.compile(r"%([^%]+)%")


def _event_subscription() -> dict[str, Any]:
    return only_resource(EVENTS, "Microsoft.EventGrid/systemTopics/eventSubscriptions")


def app_settings() -> dict[str, Any]:
    """Return the Function App's app settings as main.bicep deploys them (values resolved)."""
    site = only_resource(APP, "Microsoft.Web/sites")
    pairs = APP.resolve(site["properties"]["siteConfig"]["appSettings"])
    assert isinstance(pairs, list), "siteConfig.appSettings must resolve to a list"
    names = [pair["name"] for pair in pairs]
    assert len(names) == len({n.lower() for n in names}), f"duplicate app settings: {names}"
    return {pair["name"]: pair["value"] for pair in pairs}


def _names(items: list[Any]) -> set[str]:
    return {str(item).lower() for item in items}


def test_every_event_grid_function_has_an_event_subscription_targeting_it_by_name() -> None:
    wanted = set(surface.by_trigger("eventGridTrigger"))
    assert wanted, "the app indexes no Event Grid function; architecture says on_resource_event"
    targeted = {EVENTS.resolve("functionName")}
    assert wanted == targeted, f"functions {wanted} but event subscriptions target {targeted}"
    destination = EVENTS.resolve(_event_subscription()["properties"]["destination"])
    assert destination["endpointType"] == "AzureFunction"
    assert destination["properties"]["resourceId"].endswith(f"/functions/{targeted.pop()}")


def test_event_subscription_is_created_for_every_subscription_in_scope() -> None:
    loop = MAIN.section("modules")["eventSubscriptions"]["config"]["loop_type"]["detail"]
    wired = MAIN.section("variables")[loop["array_name"]]["value"]["operator"]["operands"]
    assert wired["true_value"] == "scopeSubscriptionIds"
    call = MAIN.section("modules")["eventSubscriptions"]["config"]["config"]
    assert call["scope"]["function"]["parameters"]["subscription_id"] == loop["item_name"]


def test_event_filter_delivers_exactly_the_operations_the_routing_table_routes() -> None:
    delivered = EVENTS.resolve("operationNames")
    assert isinstance(delivered, list), "run `python -m tests.infra.sync`"
    assert _names(delivered) == {r.operation.lower() for r in RULES}, (
        "Event Grid filter differs from shared.routing.RULES: run `python -m tests.infra.sync`"
    )
    assert len(delivered) <= 25, "Event Grid allows 25 advanced-filter values in total"
    (advanced,) = EVENTS.resolve(_event_subscription()["properties"]["filter"]["advancedFilters"])
    assert (advanced["operatorType"], advanced["key"]) == ("StringIn", "data.operationName")
    assert _names(advanced["values"]) == _names(delivered)


def test_event_filter_delivers_exactly_the_event_types_the_routing_table_routes() -> None:
    delivered = EVENTS.resolve("includedEventTypes")
    assert _names(delivered) == {t.lower() for r in RULES for t in r.event_types}
    event_filter = EVENTS.resolve(_event_subscription()["properties"]["filter"])
    assert _names(event_filter["includedEventTypes"]) == _names(delivered)


def test_event_routing_file_is_exactly_what_sync_writes() -> None:
    assert EVENT_ROUTING_FILE.read_text() == render(event_routing()), (
        "run `python -m tests.infra.sync`"
    )


def test_events_arrive_in_the_schema_the_trigger_parses() -> None:
    properties = _event_subscription()["properties"]
    assert properties["eventDeliverySchema"] == EventSchema.EVENT_GRID


def test_event_delivery_retries_then_dead_letters_to_a_container_that_exists() -> None:
    properties = EVENTS.resolve(_event_subscription()["properties"])
    retry = properties["retryPolicy"]
    assert int(retry["maxDeliveryAttempts"]) > 1 and int(retry["eventTimeToLiveInMinutes"]) > 0
    dead_letter = properties["deadLetterWithResourceIdentity"]
    assert dead_letter["identity"]["type"] == "SystemAssigned"
    container = dead_letter["deadLetterDestination"]["properties"]["blobContainerName"]
    created = _created(STATE, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert container in created


def _created(scope: Scope, resource_type: str) -> set[str]:
    return {str(scope.resolve(body["name"])) for _, body in scope.resources(resource_type)}


def _receivers() -> list[dict[str, Any]]:
    group = only_resource(ALERTS, "Microsoft.Insights/actionGroups")
    receivers = ALERTS.resolve(group["properties"]["azureFunctionReceivers"])
    assert receivers, "the action group must call the alert function"
    return list(receivers)


@pytest.mark.parametrize("field", ["functionName", "httpTriggerUrl"])
def test_action_group_receivers_resolve_to_literal_values(field: str) -> None:
    for receiver in _receivers():
        assert "${functionRoute}" not in str(receiver[field]) and receiver[field], receiver


def test_action_group_calls_http_functions_by_name_and_route() -> None:
    http = surface.by_trigger("httpTrigger")
    for receiver in _receivers():
        function = http.get(receiver["functionName"])
        assert function is not None, f"no HTTP function named {receiver['functionName']}"
        binding = function.trigger_binding
        path = urlparse(receiver["httpTriggerUrl"].replace("${", "").replace("}", "")).path
        assert path == f"/{surface.route_prefix()}/{binding['route']}", (path, binding["route"])
        assert "POST" in [m.upper() for m in binding["methods"]], "action groups POST"
        assert receiver["useCommonAlertSchema"] in (True, "true")


def test_service_health_alerts_go_through_the_action_group() -> None:
    scope = only_call(MAIN, "modules/subscription-scope.bicep")
    resources = only_call(scope, "subscription-resources.bicep")
    rule = only_resource(resources, "Microsoft.Insights/activityLogAlerts")
    assert resources.resolve(rule["properties"]["actions"]["actionGroups"][0]["actionGroupId"])
    conditions = rule["properties"]["condition"]["allOf"]
    assert "baseConditions" in str(conditions)
    (category, _) = resources.resolve("baseConditions")
    assert (category["field"], category["equals"]) == ("category", "ServiceHealth")
    assert resources.resolve("incidentTypes"), "incident types come from main.bicep parameters"


def test_jobs_queue_and_table_are_named_as_settings_defaults() -> None:
    queues = _created(STATE, "Microsoft.Storage/storageAccounts/queueServices/queues")
    tables = _created(STATE, "Microsoft.Storage/storageAccounts/tableServices/tables")
    assert surface.default("jobs_queue") in queues
    assert tables == {surface.default("jobs_table")}


def test_dr_containers_are_named_as_settings_defaults() -> None:
    containers = set(DR.resolve("containerNames"))
    expected = {
        surface.default(f) for f in ("templates_container", "records_container", "vhd_container")
    }
    assert containers == expected


def _setting(name: str, settings: dict[str, Any]) -> Any:
    return next((v for k, v in settings.items() if k.lower() == name.lower()), None)


def test_every_queue_trigger_reads_a_queue_the_infra_creates() -> None:
    settings = app_settings()
    queues = _created(STATE, "Microsoft.Storage/storageAccounts/queueServices/queues")
    triggers = surface.by_trigger("queueTrigger")
    for name, function in triggers.items():
        queue = SETTING_REF.sub(
            lambda m: str(_setting(m.group(1), settings)), function.trigger_binding["queueName"]
        )
        assert queue in queues, f"{name} reads queue {queue!r}; the infra creates {queues}"


def test_every_storage_connection_a_binding_names_is_identity_based() -> None:
    settings = {k.lower() for k in app_settings()}
    for name, function in surface.functions().items():
        for binding in function.bindings:
            if binding["type"] not in {"queueTrigger", "queue", "blobTrigger", "blob", "table"}:
                continue
            connection = binding.get("connection") or "AzureWebJobsStorage"
            prefix = connection.lower() + "__"
            assert any(s.startswith(prefix) for s in settings), (
                f"{name}: set {connection}__accountName (identity-based) in the app settings"
            )
            assert connection.lower() not in settings, f"{name}: {connection} is a secret"


def test_every_app_setting_a_binding_references_is_set() -> None:
    settings = {k.lower() for k in app_settings()}
    for name, function in surface.functions().items():
        for binding in function.bindings:
            for value in binding.values():
                for ref in SETTING_REF.findall(str(value)):
                    assert ref.lower() in settings, f"{name} binds %{ref}%; set it in main.bicep"
