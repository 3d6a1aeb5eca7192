"""Log Analytics' AzureActivity table through the real LogsQueryClient (KQL subset)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.monitor.query import (
    LogsQueryClient,
    LogsQueryPartialResult,
    LogsQueryResult,
    LogsQueryStatus,
)

from emulator.providers import incidents
from emulator.providers.loganalytics import LogAnalytics
from emulator.server import ArmEmulator
from shared.azure.clients import EmulatorCredential
from tests.plugins.arm import AUTH, SUBSCRIPTION, AudienceCredential
from tests.plugins.payloads import load_payload

pytestmark = pytest.mark.emulator

OTHER = "00000000-0000-0000-0000-000000000002"
WORKSPACE = "63613592-b6f7-4c3d-a390-22ba13102111"
WORKSPACE_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/lifeboat-dr/providers"
    "/Microsoft.OperationalInsights/workspaces/lifeboat-logs"
)
AUDIENCE = "https://api.loganalytics.io"
SERVICE_HEALTH = 'AzureActivity | where CategoryValue == "ServiceHealth"'


def _estate(*, categories: tuple[str, ...] = ("ServiceHealth", "ResourceHealth")) -> Any:
    return {
        "resources": [
            {"id": WORKSPACE_ID, "location": "westus", "properties": {"customerId": WORKSPACE}},
            {
                "id": f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Insights"
                "/diagnosticSettings/lifeboat-activity",
                "properties": {
                    "workspaceId": WORKSPACE_ID,
                    "logs": [{"category": c, "enabled": True} for c in categories],
                },
            },
        ]
    }


@pytest.fixture
def logs(arm: ArmEmulator) -> LogsQueryClient:
    arm.seed(_estate())
    return _client(arm)


def _client(arm: ArmEmulator, credential: Any = None, audience: str | None = AUDIENCE) -> Any:
    options = {"audience": audience} if audience else {}
    return LogsQueryClient(
        credential or EmulatorCredential(),
        endpoint=arm.loganalytics_endpoint,
        connection_verify=arm.ca_file,
        **options,
    )


def _sample(name: str, subscription: str = SUBSCRIPTION) -> dict[str, Any]:
    text = json.dumps(load_payload(name)).replace("<subscription ID>", subscription)
    event: dict[str, Any] = json.loads(text.replace("<resource group>", "rg"))
    return event


def _inject(arm: ArmEmulator, *events: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{arm.endpoint}/_emulator/activity-log",
        json={"records": list(events)},
        verify=arm.ca_file,
        timeout=10,
    )


def _query(client: LogsQueryClient, query: str, timespan: Any = None) -> LogsQueryResult:
    result = client.query_workspace(WORKSPACE, query, timespan=timespan)
    assert isinstance(result, LogsQueryResult), result
    assert result.status == LogsQueryStatus.SUCCESS
    return result


def test_microsofts_service_health_sample_is_served_as_an_azure_activity_row(
    arm: ArmEmulator, logs: LogsQueryClient
) -> None:
    assert _inject(arm, _sample("activity-log-event_servicehealth_incident")).status_code == 201

    result = _query(
        logs,
        f"{SERVICE_HEALTH} | project TimeGenerated, OperationNameValue, ActivityStatusValue, "
        "Level, SubscriptionId, Properties_d",
    )

    table = result.tables[0]
    assert table.name == "PrimaryResult"
    assert table.columns_types == ["datetime", "string", "string", "string", "string", "dynamic"]
    (row,) = table.rows
    assert row["TimeGenerated"].isoformat().startswith("2017-07-20T23:30:14.802")
    assert row["OperationNameValue"] == "Microsoft.ServiceHealth/incident/action"
    assert row["ActivityStatusValue"] == "Active"
    assert row["SubscriptionId"] == SUBSCRIPTION
    # Dynamic columns arrive as JSON text, as the query API writes them.
    assert json.loads(row["Properties_d"])["trackingId"] == "NA0F-BJG"


def test_the_response_has_the_shape_of_microsofts_query_example(
    arm: ArmEmulator, logs: LogsQueryClient
) -> None:
    example = load_payload("loganalytics_rest_example_oms-post-example_v1")
    _inject(arm, _sample("activity-log-event_resourcehealth"))

    answer = requests.post(
        f"{arm.loganalytics_endpoint}/v1/workspaces/{WORKSPACE}/query",
        json={"query": "AzureActivity | take 10", "timespan": None},
        headers=AUTH,
        verify=arm.ca_file,
        timeout=10,
    ).json()

    published = example["responses"]["200"]["body"]
    assert answer.keys() == published.keys()
    assert answer["tables"][0].keys() == published["tables"][0].keys()
    assert answer["tables"][0]["columns"][0].keys() == published["tables"][0]["columns"][0].keys()
    assert answer["tables"][0]["rows"][0][0] == WORKSPACE  # TenantId is the workspace id


def test_a_declared_incident_gives_one_record_per_stage_and_exported_subscription(
    arm: ArmEmulator, logs: LogsQueryClient
) -> None:
    incidents.declare(
        arm.core,
        {
            "trackingId": "LB1-XYZ",
            "regions": ["East US"],
            "services": ["Virtual Machines"],
            "subscriptions": [SUBSCRIPTION, OTHER],  # OTHER exports no activity log
            "stages": [
                {"stage": "Active"},
                {"after": 600, "stage": "Active", "summary": "Update 1."},
                {"after": 3600, "stage": "Resolved", "summary": "Mitigated."},
                {"after": 7200, "stage": "RCA", "summary": "Root cause."},
            ],
        },
    )
    arm.clock.advance(3600)
    query = (
        f"{SERVICE_HEALTH} | extend trackingId = tostring(Properties_d.trackingId), "
        "stage = tostring(Properties_d.stage) | project TimeGenerated, EventDataId, "
        "SubscriptionId, trackingId, stage, ActivityStatusValue | order by TimeGenerated asc"
    )

    first = _query(logs, query).tables[0].rows
    again = _query(logs, query).tables[0].rows

    assert [(r["stage"], r["ActivityStatusValue"]) for r in first] == [
        ("Active", "Active"), ("Active", "Active"), ("Resolved", "Resolved"),
    ]  # fmt: skip
    assert {r["SubscriptionId"] for r in first} == {SUBSCRIPTION}
    assert {r["trackingId"] for r in first} == {"LB1-XYZ"}
    assert [r["EventDataId"] for r in again] == [r["EventDataId"] for r in first]
    arm.clock.advance(3600)
    assert len(_query(logs, query).tables[0].rows) == 4


def test_time_filters_ago_datetime_and_the_timespan_parameter(
    arm: ArmEmulator, logs: LogsQueryClient
) -> None:
    now = arm.clock.now()
    old = {**_sample("activity-log-event_servicehealth_incident"), "eventDataId": "old"}
    old["eventTimestamp"] = (now - timedelta(hours=2)).isoformat()
    new = {**old, "eventDataId": "new", "eventTimestamp": (now - timedelta(minutes=5)).isoformat()}
    _inject(arm, old, new)

    def ids(query: str, timespan: Any = None) -> list[str]:
        rows = _query(logs, f"{query} | project EventDataId", timespan).tables[0].rows
        return sorted(r["EventDataId"] for r in rows)

    assert ids("AzureActivity | where TimeGenerated > ago(30m)") == ["new"]
    assert ids("AzureActivity | where TimeGenerated > ago(3h)") == ["new", "old"]
    since = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"AzureActivity | where TimeGenerated >= datetime({since})") == ["new"]
    assert ids("AzureActivity", timedelta(minutes=30)) == ["new"]
    assert ids("AzureActivity", (now - timedelta(hours=3), now - timedelta(hours=1))) == ["old"]


def test_summarize_and_top(arm: ArmEmulator, logs: LogsQueryClient) -> None:
    _inject(
        arm,
        _sample("activity-log-event_servicehealth_incident"),
        _sample("activity-log-event_resourcehealth"),
    )

    counts = _query(logs, "AzureActivity | summarize count() by CategoryValue").tables[0]
    latest = _query(logs, "AzureActivity | top 1 by TimeGenerated desc").tables[0]

    assert {r["CategoryValue"]: r["count_"] for r in counts.rows} == {
        "ServiceHealth": 1, "ResourceHealth": 1,
    }  # fmt: skip
    assert counts.columns_types == ["string", "long"]
    assert [r["CategoryValue"] for r in latest.rows] == ["ResourceHealth"]  # 2018 after 2017


def test_only_subscriptions_and_categories_a_diagnostic_setting_exports_are_queryable(
    arm: ArmEmulator,
) -> None:
    arm.seed(_estate(categories=("ResourceHealth",)))
    _inject(
        arm,
        _sample("activity-log-event_servicehealth_incident"),
        _sample("activity-log-event_resourcehealth", subscription=OTHER),
    )

    assert _query(_client(arm), "AzureActivity").tables[0].rows == []


def test_an_invalid_injected_record_is_400_and_adds_nothing(
    arm: ArmEmulator, logs: LogsQueryClient
) -> None:
    valid = _sample("activity-log-event_servicehealth_incident")
    answer = _inject(arm, valid, {**valid, "subscriptionId": None})

    assert answer.status_code == 400
    assert answer.json()["error"]["target"] == "subscriptionId"
    assert _query(logs, "AzureActivity").tables[0].rows == []


@pytest.mark.parametrize(
    ("query", "inner"),
    [
        ("AzureActivity | join (AzureActivity) on EventDataId", "UnsupportedByEmulator"),
        ("AzureActivty | take 1", "SemanticError"),
        ("AzureActivity | where NoSuchColumn == 1", "SemanticError"),
        ("AzureActivity | where (", "SyntaxError"),
        ("| take 1", "SyntaxError"),
    ],
)
def test_queries_outside_the_subset_are_400_with_log_analytics_error(
    arm: ArmEmulator, logs: LogsQueryClient, query: str, inner: str
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        logs.query_workspace(WORKSPACE, query, timespan=None)
    assert caught.value.status_code == 400

    answer = requests.post(
        f"{arm.loganalytics_endpoint}/v1/workspaces/{WORKSPACE}/query",
        json={"query": query},
        headers=AUTH,
        verify=arm.ca_file,
        timeout=10,
    )
    error = answer.json()["error"]
    assert error["code"] == "BadArgumentError"
    assert error["innererror"]["code"] == inner
    assert error["correlationId"]


def test_without_a_token_or_with_the_wrong_audience_the_api_answers_401(
    arm: ArmEmulator, logs: LogsQueryClient
) -> None:
    answer = requests.post(
        f"{arm.loganalytics_endpoint}/v1/workspaces/{WORKSPACE}/query",
        json={"query": "AzureActivity"},
        verify=arm.ca_file,
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "AuthorizationRequiredError"

    # Without `audience` the client asks for a token for the emulator's own address.
    wrong = AudienceCredential()
    with pytest.raises(HttpResponseError) as caught:
        _client(arm, wrong, audience=None).query_workspace(
            WORKSPACE, "AzureActivity", timespan=None
        )
    assert caught.value.status_code == 401
    right = AudienceCredential()
    _query(_client(arm, right), "AzureActivity")
    assert right.scopes == [f"{AUDIENCE}/.default"]


def test_a_workspace_in_a_down_region_fails_and_an_unknown_one_is_404(
    arm: ArmEmulator, logs: LogsQueryClient
) -> None:
    arm.faults.region_down("westus")
    with pytest.raises(HttpResponseError) as down:
        logs.query_workspace(WORKSPACE, "AzureActivity", timespan=None)
    assert down.value.status_code == 503
    arm.faults.region_up("westus")

    with pytest.raises(HttpResponseError) as unknown:
        logs.query_workspace("00000000-0000-0000-0000-00000000dead", "AzureActivity", timespan=None)
    assert unknown.value.status_code == 404
    assert unknown.value.error is not None
    assert unknown.value.error.code == "WorkspaceNotFoundError"


def test_more_rows_than_the_limit_is_a_partial_result(
    arm: ArmEmulator, logs: LogsQueryClient
) -> None:
    plane: LogAnalytics = arm.core.extensions["loganalytics"]
    plane.max_rows = 1
    _inject(
        arm,
        _sample("activity-log-event_servicehealth_incident"),
        _sample("activity-log-event_resourcehealth"),
    )

    result = logs.query_workspace(WORKSPACE, "AzureActivity", timespan=None)

    assert isinstance(result, LogsQueryPartialResult)
    assert result.status == LogsQueryStatus.PARTIAL
    assert len(result.partial_data[0].rows) == 1
    assert result.partial_error is not None and result.partial_error.code == "PartialError"
