"""The emulator's KQL subset: what it answers, and that it refuses anything else."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.providers.kql import KqlError
from emulator.providers.kql_query import parse

VM = "microsoft.compute/virtualmachines"
ROWS: list[dict[str, Any]] = [
    {
        "id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/a",
        "name": "a",
        "type": VM,
        "location": "eastus",
        "subscriptionId": "s1",
        "tags": {"lifeboat-protect": "true", "env": "Prod"},
        "properties": {"storageProfile": {"dataDisks": [{"name": "a-d0"}]}, "size": 5},
    },
    {
        "id": "/subscriptions/s2/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/b",
        "name": "b",
        "type": VM,
        "location": "westus",
        "subscriptionId": "s2",
        "tags": {},
        "properties": {"size": 3},
    },
    {
        "id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/disks/c",
        "name": "c",
        "type": "microsoft.compute/disks",
        "location": "eastus",
        "subscriptionId": "s1",
        "tags": None,
        "properties": {},
    },
]


def names(query: str) -> list[Any]:
    return [row.get("name") for row in parse(query).run(ROWS)]


def test_type_compare_with_tilde_equals_ignores_case() -> None:
    assert names("resources | where type =~ 'Microsoft.Compute/virtualMachines'") == ["a", "b"]


def test_double_equals_is_case_sensitive() -> None:
    assert names("resources | where type == 'Microsoft.Compute/virtualMachines'") == []


def test_tag_lookup_with_tostring_and_and() -> None:
    query = (
        "Resources | where type =~ 'microsoft.compute/virtualmachines' "
        "and tostring(tags['lifeboat-protect']) == 'true'"
    )
    assert names(query) == ["a"]


def test_not_equal_keeps_rows_missing_the_tag() -> None:
    assert names("resources | where tags['lifeboat-protect'] != 'true'") == ["b", "c"]


def test_in_and_in_tilde_and_or() -> None:
    assert names("resources | where subscriptionId in ('s2') or name in~ ('C')") == ["b", "c"]
    assert names("resources | where subscriptionId !in ('s1')") == ["b"]


def test_isnotempty_and_nested_paths_with_index() -> None:
    query = "resources | where isnotempty(properties.storageProfile.dataDisks[0].name)"
    assert names(query) == ["a"]
    assert names("resources | where isnotempty(tags)") == ["a"]


def test_project_aliases_and_auto_names() -> None:
    query = (
        "resources | where name == 'a' "
        "| project id, disk=properties.storageProfile.dataDisks[0].name, tags.env"
    )
    rows = parse(query).run(ROWS)
    assert rows == [{"id": ROWS[0]["id"], "disk": "a-d0", "tags_env": "Prod"}]
    assert parse(query).columns == ["id", "disk", "tags_env"]


def test_order_by_defaults_to_descending_and_take_limits() -> None:
    assert names("resources | order by name") == ["c", "b", "a"]
    assert names("resources | order by name asc | take 2") == ["a", "b"]
    assert names("resources | sort by properties.size asc | limit 1") == ["c"]


def test_query_may_start_with_an_operator() -> None:
    assert names("where location =~ 'WestUS'") == ["b"]


def test_projected_columns_are_the_only_ones_left() -> None:
    with pytest.raises(KqlError) as err:
        parse("resources | project name | where type == 'x'")
    assert err.value.code == "FailedToResolveColumn"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("resources | summarize percentile(zones, 5) by type", "UnsupportedByEmulator"),
        ("resources | distinct name", "UnsupportedByEmulator"),
        ("resources | join (resources) on id", "UnsupportedByEmulator"),
        ("resourcecontainers | take 1", "UnknownTable"),
        ("resources | where Type == 'x'", "FailedToResolveColumn"),
        ("resources | where type = 'x'", "ParserFailure"),
        ("resources | where strlen(name) > 1", "UnknownFunction"),
        ("resources | take many", "ParserFailure"),
        ("resources | where name == 'a' |", "ParserFailure"),
        ("resources | where name == 'a' # comment", "ParserFailure"),
        ("", "ParserFailure"),
    ],
)
def test_unsupported_or_invalid_syntax_is_refused(query: str, code: str) -> None:
    with pytest.raises(KqlError) as err:
        parse(query)
    assert err.value.code == code
