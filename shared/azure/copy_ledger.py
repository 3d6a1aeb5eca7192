"""The copy scheduler's durable ledger: one Table partition per (subscription, DR region) lane.

Each waiting or in-flight CopyStart is a row; the lane row's ETag serialises admission. An
admission is one entity-group transaction (lane row + every admitted row, If-Match on each), so
two workers can never admit past the cap: the loser's transaction fails and it reads again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.jobs.messages import iso, parse_time

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

WAITING = "waiting"
FLYING = "flying"
FAILED = "failed"
_LANE_ROW = "~lane"
# An entity-group transaction holds at most 100 operations: the lane row plus 99 copies.
MAX_ADMISSION = 99


def lane_key(subscription: str, region: str) -> str:
    """Return the partition key of a lane (Table keys may not hold '/', '#', '?')."""
    return f"{subscription.lower()}_{region.lower().replace(' ', '')}"


def row_key(target: str) -> str:
    """Return the row key of the copy into `target` (a DR snapshot id, case-folded)."""
    return hashlib.sha256(target.lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CopyRow:
    """One CopyStart the scheduler knows: waiting, in flight (admitted), or refused for good."""

    lane: str
    target: str
    source: str
    region: str
    family: str
    source_created: datetime
    rpo_deadline: datetime
    set_id: str
    tags: Mapping[str, str] = field(default_factory=dict)
    state: str = WAITING
    not_before: datetime | None = None
    error: str = ""
    etag: str = ""

    @property
    def key(self) -> str:
        """The row key."""
        return row_key(self.target)


def _entity(row: CopyRow) -> dict[str, Any]:
    return {
        "PartitionKey": row.lane,
        "RowKey": row.key,
        "Target": row.target,
        "Source": row.source,
        "Region": row.region,
        "Family": row.family,
        "SourceCreated": iso(row.source_created),
        "Deadline": iso(row.rpo_deadline),
        "SetId": row.set_id,
        "Tags": json.dumps(dict(row.tags), sort_keys=True),
        "State": row.state,
        "NotBefore": iso(row.not_before) if row.not_before else "",
        "Error": row.error[:1000],
    }


def _row(entity: Any) -> CopyRow:
    return CopyRow(
        lane=entity["PartitionKey"],
        target=entity["Target"],
        source=entity["Source"],
        region=entity["Region"],
        family=entity["Family"],
        source_created=parse_time(entity["SourceCreated"]),
        rpo_deadline=parse_time(entity["Deadline"]),
        set_id=entity["SetId"],
        tags=json.loads(entity.get("Tags") or "{}"),
        state=entity["State"],
        not_before=parse_time(entity["NotBefore"]) if entity.get("NotBefore") else None,
        error=entity.get("Error", ""),
        etag=entity.metadata.get("etag", ""),
    )


@dataclass(frozen=True)
class Lane:
    """A lane as read: its rows and the lane row's ETag (empty when the lane row is new)."""

    key: str
    rows: tuple[CopyRow, ...]
    etag: str
    version: int


class CopyLedger:
    """The ledger table in the Function App's own account (created on first use)."""

    def __init__(self, clients: AzureClients, table_name: str) -> None:
        self._service = clients.table_service()
        self._name = table_name
        self._table = self._service.get_table_client(table_name)
        self._ready = False

    def _ensure(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                self._service.create_table(self._name)
            self._ready = True

    def add(self, rows: Iterable[CopyRow]) -> None:
        """Insert rows that are not there yet (an existing row keeps its state: idempotent)."""
        from azure.core.exceptions import ResourceExistsError

        self._ensure()
        for row in rows:
            with contextlib.suppress(ResourceExistsError):
                self._table.create_entity(_entity(row))

    def read_lane(self, lane: str) -> Lane:
        """Return the lane's rows and its admission ETag (one partition query)."""
        from azure.core.exceptions import ResourceNotFoundError

        self._ensure()
        rows: list[CopyRow] = []
        etag, version = "", 0
        try:
            for entity in self._table.query_entities(f"PartitionKey eq '{lane}'"):
                if entity["RowKey"] == _LANE_ROW:
                    etag = str(entity.metadata.get("etag") or "")
                    version = int(entity.get("Version") or 0)
                else:
                    rows.append(_row(entity))
        except ResourceNotFoundError:
            pass
        return Lane(lane, tuple(rows), etag, version)

    def admit(self, lane: Lane, chosen: Sequence[CopyRow]) -> bool:
        """Mark `chosen` in flight if nobody admitted in the lane since it was read.

        Returns False when another worker won (nothing changed).
        """
        from azure.core import MatchConditions
        from azure.data.tables import TableTransactionError, UpdateMode

        lane_entity = {"PartitionKey": lane.key, "RowKey": _LANE_ROW, "Version": lane.version + 1}
        operations: list[Any] = []
        if lane.etag:
            guard = {"etag": lane.etag, "match_condition": MatchConditions.IfNotModified}
            operations.append(("update", lane_entity, {"mode": UpdateMode.REPLACE, **guard}))
        else:
            operations.append(("create", lane_entity))
        for row in chosen[:MAX_ADMISSION]:
            entity = _entity(replace(row, state=FLYING, not_before=None))
            guard = {"etag": row.etag, "match_condition": MatchConditions.IfNotModified}
            operations.append(("update", entity, {"mode": UpdateMode.REPLACE, **guard}))
        try:
            self._table.submit_transaction(operations)
        except TableTransactionError:
            return False
        return True

    def put(self, row: CopyRow) -> None:
        """Overwrite one row (a refusal sending it back to waiting, or failing it)."""
        from azure.data.tables import UpdateMode

        self._table.upsert_entity(_entity(row), mode=UpdateMode.REPLACE)

    def remove(self, row: CopyRow) -> None:
        """Delete one row (its copy completed, or its set ended); already gone is success."""
        from azure.core.exceptions import ResourceNotFoundError

        with contextlib.suppress(ResourceNotFoundError):
            self._table.delete_entity(row.lane, row.key)

    def all_rows(self) -> list[CopyRow]:
        """Return every row of every lane (status, bench)."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return [_row(e) for e in self._table.list_entities() if e["RowKey"] != _LANE_ROW]
        except ResourceNotFoundError:
            return []


def _group_key(group: str) -> str:
    return "group_" + hashlib.sha256(group.lower().encode()).hexdigest()[:32]


class GroupLocks:
    """One clean copy at a time per `lifeboat-group`: a holder row per group, ETag-guarded."""

    def __init__(self, ledger: CopyLedger) -> None:
        self._ledger = ledger

    def hold(self, group: str, holder: str, stale: Iterable[str] = ()) -> str:
        """Take the group for `holder` if it is free (or held by a `stale` holder); return the
        holder after the attempt (`holder` when this call holds it)."""
        from azure.core import MatchConditions
        from azure.core.exceptions import (
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )
        from azure.data.tables import UpdateMode

        ledger = self._ledger
        ledger._ensure()
        entity = {"PartitionKey": _group_key(group), "RowKey": _LANE_ROW, "Holder": holder}
        try:
            ledger._table.create_entity(entity)
            return holder
        except ResourceExistsError:
            pass
        try:
            current = ledger._table.get_entity(entity["PartitionKey"], _LANE_ROW)
        except ResourceNotFoundError:
            return self.hold(group, holder, stale)
        if current["Holder"] == holder or current["Holder"] not in set(stale):
            return str(current["Holder"])
        with contextlib.suppress(ResourceModifiedError):
            ledger._table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
            return holder
        return str(ledger._table.get_entity(entity["PartitionKey"], _LANE_ROW)["Holder"])

    def holder(self, group: str) -> str | None:
        """Return who holds the group, or None."""
        from azure.core.exceptions import ResourceNotFoundError

        self._ledger._ensure()
        try:
            return str(self._ledger._table.get_entity(_group_key(group), _LANE_ROW)["Holder"])
        except ResourceNotFoundError:
            return None

    def release(self, group: str, holder: str) -> None:
        """Free the group if `holder` holds it (already free is success)."""
        from azure.core.exceptions import ResourceNotFoundError

        if self.holder(group) != holder:
            return
        with contextlib.suppress(ResourceNotFoundError):
            self._ledger._table.delete_entity(_group_key(group), _LANE_ROW)
