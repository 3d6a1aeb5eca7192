"""Storage accounts found through Resource Graph: which subscription holds an account name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from shared.arm_id import ResourceId
from shared.azure import resource_graph

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

# Resource Graph returns only the rows the caller may read: the account's own read permission.
ACTIONS: tuple[str, ...] = (
    *resource_graph.ACTIONS,
    "Microsoft.Storage/storageAccounts/read",
)

ACCOUNT_NAME = re.compile(r"[a-z0-9]{3,24}")
_QUERY = (
    "resources"
    " | where type =~ 'microsoft.storage/storageaccounts' and name =~ '{name}'"
    " | project id, name"
    " | order by id asc"
)


def find_storage_accounts(
    clients: AzureClients, name: str, subscriptions: Sequence[str]
) -> list[ResourceId]:
    """Return the ids of the storage accounts called `name` in `subscriptions` ([] if none).

    `name` must already be a valid account name (3-24 lower-case letters and digits): it is
    placed in the query text. Raises azure.core.exceptions.HttpResponseError when Resource
    Graph fails.
    """
    if not ACCOUNT_NAME.fullmatch(name):
        raise ValueError(f"not a storage account name: {name[:40]!r}")
    rows = resource_graph.query_resources(clients, _QUERY.format(name=name), subscriptions)
    return [ResourceId.parse(row.get("id"), "resourceGraph.id") for row in rows]
