"""The alert ledger on Table storage in the DR-region account: one entity per incident."""

from __future__ import annotations

import contextlib
import hashlib
from typing import TYPE_CHECKING, Any

from shared.outages.errors import StoreConflict
from shared.outages.ledger import DamagedLedgerEntry, LedgerEntry

if TYPE_CHECKING:
    from azure.data.tables import TableServiceClient

PARTITION = "incident"
# Table keys refuse / \ # ? and control characters; tracking ids are short public codes, but a
# hostile one must not break the key, so anything else is hashed.
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def row_key(tracking_id: str) -> str:
    """Return the RowKey of an incident: its upper-cased tracking id, hashed when unsafe."""
    key = tracking_id.strip().upper()
    if key and len(key) <= 200 and set(key) <= _SAFE:
        return key
    return "H-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _etag(meta: Any) -> str:
    return str(meta.get("etag", ""))


class TableLedgerStore:
    """Ledger entries as entities (PartitionKey `incident`, RowKey the tracking id)."""

    def __init__(self, service: TableServiceClient, table_name: str) -> None:
        self._service = service
        self._name = table_name
        self._table = service.get_table_client(table_name)
        self._ready = False

    def _ensure(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                self._service.create_table(self._name)
            self._ready = True

    @staticmethod
    def _entity(entry: LedgerEntry) -> dict[str, Any]:
        return {
            "PartitionKey": PARTITION,
            "RowKey": row_key(entry.tracking_id),
            "TrackingId": entry.tracking_id,
            "Stage": entry.latest.stage,
            "Entry": entry.to_json(),
        }

    def get(self, tracking_id: str) -> tuple[LedgerEntry, str] | None:
        """Return the entry and its ETag, or None; raise DamagedLedgerEntry when unreadable."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            entity = self._table.get_entity(PARTITION, row_key(tracking_id))
        except ResourceNotFoundError:
            return None
        return LedgerEntry.from_json(str(entity.get("Entry", ""))), _etag(entity.metadata)

    def create(self, entry: LedgerEntry) -> str:
        """Insert a new entry; raise StoreConflict when the incident is already recorded."""
        from azure.core.exceptions import ResourceExistsError

        self._ensure()
        try:
            return _etag(self._table.create_entity(self._entity(entry)))
        except ResourceExistsError:
            raise StoreConflict(entry.tracking_id) from None

    def replace(self, entry: LedgerEntry, etag: str) -> str:
        """Replace the entry if its ETag still matches; raise StoreConflict otherwise."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
        from azure.data.tables import UpdateMode

        try:
            meta = self._table.update_entity(
                self._entity(entry),
                mode=UpdateMode.REPLACE,
                etag=etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            raise StoreConflict(entry.tracking_id) from None
        return _etag(meta)

    def list(self) -> list[LedgerEntry]:
        """Return every readable entry, by tracking id."""
        from azure.core.exceptions import ResourceNotFoundError

        out: list[LedgerEntry] = []
        try:
            for entity in self._table.query_entities(f"PartitionKey eq '{PARTITION}'"):
                with contextlib.suppress(DamagedLedgerEntry):
                    out.append(LedgerEntry.from_json(str(entity.get("Entry", ""))))
        except ResourceNotFoundError:
            return []
        return sorted(out, key=lambda e: e.tracking_id)
