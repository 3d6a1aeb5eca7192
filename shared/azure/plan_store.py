"""The plan store on Blob storage in the DR-region account: one blob per plan, ETag-guarded."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from shared.outages.errors import DamagedPlan, StoreConflict
from shared.outages.store import StoredPlan, decode, encode, summary_metadata

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

    from shared.outages.approval import PlanStatus
    from shared.outages.plan_model import DrPlan

PREFIX = "plans/"


def plan_blob(plan_id: str) -> str:
    """Return the blob name of one plan."""
    return f"{PREFIX}{plan_id}.json"


class BlobPlanStore:
    """Plans in one container of the DR-region account (readable with the primary region down)."""

    def __init__(self, service: BlobServiceClient, container: str) -> None:
        self._container = service.get_container_client(container)
        self._ready = False

    def _ensure(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                self._container.create_container()
            self._ready = True

    def get(self, plan_id: str) -> StoredPlan | None:
        """Return the plan, its status and ETag, or None; raise DamagedPlan when unreadable."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            downloader = self._container.download_blob(plan_blob(plan_id))
            data = downloader.readall()
        except ResourceNotFoundError:
            return None
        return decode(data, str(downloader.properties.etag))

    def _upload(self, plan: DrPlan, status: PlanStatus, **conditions: Any) -> StoredPlan:
        from azure.storage.blob import ContentSettings

        blob = self._container.get_blob_client(plan_blob(plan.plan_id))
        result = blob.upload_blob(
            encode(plan, status),
            overwrite=True,
            metadata=summary_metadata(plan, status),
            content_settings=ContentSettings(content_type="application/json"),
            **conditions,
        )
        return StoredPlan(plan, status, str(result["etag"]))

    def create(self, plan: DrPlan, status: PlanStatus) -> StoredPlan:
        """Store a new plan (If-None-Match: *); raise StoreConflict when it already exists."""
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

        self._ensure()
        try:
            return self._upload(plan, status, if_none_match="*")
        except (ResourceExistsError, ResourceModifiedError):
            raise StoreConflict(plan.plan_id) from None

    def replace(self, plan: DrPlan, status: PlanStatus, etag: str) -> StoredPlan:
        """Write plan and status if the blob still has `etag`; raise StoreConflict otherwise."""
        from azure.core import MatchConditions
        from azure.core.exceptions import (
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )

        try:
            return self._upload(
                plan, status, etag=etag, match_condition=MatchConditions.IfNotModified
            )
        except (ResourceModifiedError, ResourceNotFoundError, ResourceExistsError):
            raise StoreConflict(plan.plan_id) from None

    def list(self) -> list[StoredPlan]:
        """Return every readable plan, by plan id (a damaged one is left out)."""
        from azure.core.exceptions import ResourceNotFoundError

        out: list[StoredPlan] = []
        try:
            names = sorted(b.name for b in self._container.list_blobs(name_starts_with=PREFIX))
        except ResourceNotFoundError:
            return []
        for name in names:
            plan_id = name.removeprefix(PREFIX).removesuffix(".json")
            with contextlib.suppress(DamagedPlan):
                found = self.get(plan_id)
                if found is not None:
                    out.append(found)
        return out
