"""Azure Resource Graph queries across subscriptions, following `$skipToken` to the last page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = ("Microsoft.ResourceGraph/resources/read",)

# Resource Graph caps one request at 1000 subscriptions and one page at 1000 rows.
_SUBSCRIPTION_BATCH = 1000
MAX_PAGE_SIZE = 1000


def _batches(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def query_resources(
    clients: AzureClients,
    query: str,
    subscriptions: Sequence[str],
    page_size: int = MAX_PAGE_SIZE,
) -> list[dict[str, Any]]:
    """Return every row of the KQL `query` over `subscriptions` (objectArray rows).

    Pages with `$skipToken` until Resource Graph stops returning one; the query must project
    `id` for paging to be stable. No subscriptions means no scope, so it returns []. Raises
    azure.core.exceptions.HttpResponseError when Resource Graph refuses the query.
    """
    client = clients.resource_graph()
    rows: list[dict[str, Any]] = []
    for batch in _batches(list(subscriptions), _SUBSCRIPTION_BATCH):
        rows.extend(_all_pages(client, query, batch, min(page_size, MAX_PAGE_SIZE)))
    return rows


def _all_pages(client: Any, query: str, batch: list[str], top: int) -> list[dict[str, Any]]:
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    rows: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        options = QueryRequestOptions(skip_token=token, top=top, result_format="objectArray")
        answer = client.resources(QueryRequest(subscriptions=batch, query=query, options=options))
        data: Any = answer.data or []
        rows.extend(row for row in data if isinstance(row, dict))
        token = answer.skip_token
        if not token:
            return rows
