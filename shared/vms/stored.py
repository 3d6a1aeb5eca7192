"""The capture sets as Azure holds them: Lifeboat's tagged snapshots in both regions, deletions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.engine.actions import DeleteSnapshot
from shared.vms.findings import FindingCode
from shared.vms.naming import LUN_TAG, SET_TAG, VM_KEY_TAG, VM_TAG
from shared.vms.retention import Deletion, Placement, StoredSet, StoredSnapshot

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.config import Settings

_QUERY = "resources | where type =~ 'microsoft.compute/snapshots' | project id, location, tags"


def _slot(set_id: str) -> datetime:
    return datetime.strptime(set_id.rsplit("-", 1)[-1], "%Y%m%d%H%M").replace(tzinfo=UTC)


def stored_sets(
    clients: AzureClients, settings: Settings, complete: Iterable[str]
) -> list[StoredSet]:
    """Return every set found in Azure; complete when its manifest exists (one query)."""
    from shared.azure.resource_graph import query_resources

    done = {c.lower() for c in complete}
    primaries = {r.lower() for r in settings.primary_regions}
    grouped: dict[tuple[str, Placement], list[dict[str, Any]]] = defaultdict(list)
    for row in query_resources(clients, _QUERY, settings.subscriptions):
        tags = {k.lower(): str(v) for k, v in (row.get("tags") or {}).items()}
        if SET_TAG not in tags:
            continue
        where = str(row.get("location") or "").lower().replace(" ", "")
        placement = Placement.PRIMARY if where in primaries else Placement.DR
        grouped[(tags[SET_TAG], placement)].append({"id": row["id"], "tags": tags})
    found = []
    for (sid, placement), rows in grouped.items():
        tags = rows[0]["tags"]
        vm = tags.get(VM_TAG) or tags.get(VM_KEY_TAG, "")
        snaps = tuple(
            StoredSnapshot(r["id"], f"{tags.get(VM_KEY_TAG)}/{r['tags'].get(LUN_TAG)}", True)
            for r in rows
        )
        is_complete = sid.lower() in done
        found.append(StoredSet(sid, vm, placement, _slot(sid), is_complete, snaps))
    return found


def delete_snapshots(
    clients: AzureClients, settings: Settings, deletions: Iterable[Deletion]
) -> tuple[int, list[dict[str, str]]]:
    """Delete each snapshot or restore point (already gone is success); a locked one is a
    finding, not an error."""
    from shared.azure.failures import azure_failures
    from shared.engine.executor import execute
    from shared.errors import AzureRefused
    from shared.vms.restore_points import delete_restore_points, is_restore_point

    deleted, findings = 0, []
    for item in deletions:
        try:
            if is_restore_point(item.snapshot_id):  # a restore-point set's one item
                with azure_failures("delete restore point"):
                    delete_restore_points(clients, (item.snapshot_id,))
            else:
                with azure_failures("delete snapshot"):
                    execute(clients, settings, DeleteSnapshot(item.snapshot_id, ""))
            deleted += 1
        except AzureRefused as exc:
            if exc.status != 409 or exc.code != "ScopeLocked":
                raise
            findings.append(
                {
                    "code": FindingCode.LOCKED_SNAPSHOT.value,
                    "subject": item.snapshot_id,
                    "message": exc.detail,
                }
            )
    return deleted, findings
