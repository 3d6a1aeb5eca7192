"""Template backups in the DR-region storage account: one blob per content hash, one pointer."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from shared.arm_id import ResourceId
from shared.templates.backup import (
    POINTER_NAME,
    VERSIONS_FOLDER,
    Pointer,
    VersionInfo,
    digest_of_version_blob,
    pointer_blob,
    template_prefix,
    version_blob,
)
from shared.templates.errors import BackupDamaged

logger = logging.getLogger(__name__)

# Blob leases last 15-60 s (or forever); the shortest bounds how long a dead pruner blocks.
LEASE_SECONDS = 15
# What a write to a leased blob answers (412) when it carries no or another lease id.
_LEASED = frozenset({"LeaseIdMissing", "LeaseIdMismatchWithBlobOperation", "LeaseLost"})


def _error_code(exc: Any) -> str:
    code = getattr(exc, "error_code", None)  # the storage SDK's StorageErrorCode (a str enum)
    return str(getattr(code, "value", code) or "")


class TemplateStore:
    """Reads and writes backups through a BlobServiceClient of the DR-region account.

    Writes are conditional, so concurrent handlers of one template converge: a version blob
    is created only if absent (same name, same bytes) and the pointer moves only if nobody
    moved it since it was read (ETag). Pruning holds a lease on the pointer, so the pointer
    cannot move onto a version while that version is being deleted.
    """

    def __init__(self, blob_service: Any, container: str) -> None:
        self._container = blob_service.get_container_client(container)
        self._container_ready = False

    def _ensure_container(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        if self._container_ready:
            return
        with contextlib.suppress(ResourceExistsError):  # already there is what we want
            self._container.create_container()
        self._container_ready = True

    def read_pointer(self, template_id: ResourceId) -> tuple[Pointer, str] | None:
        """Return the latest-backup pointer and its ETag, or None when there is no backup.

        Raises BackupDamaged (carrying the blob's ETag) when the pointer's metadata is damaged.
        """
        from azure.core.exceptions import ResourceNotFoundError

        blob = self._container.get_blob_client(pointer_blob(template_id))
        try:
            props = blob.get_blob_properties()
        except ResourceNotFoundError:
            return None
        try:
            return Pointer.from_metadata(props.metadata or {}), str(props.etag)
        except (KeyError, ValueError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            message = (
                f"the backup pointer {blob.blob_name} is damaged ({problem}); back the template "
                "up again, or restore a backup by its hash"
            )
            raise BackupDamaged("backup", message, str(props.etag)) from None

    def write_pointer(self, template_id: ResourceId, pointer: Pointer, etag: str | None) -> bool:
        """Write the pointer if it is unchanged since read (`etag`; None: must not exist).

        Returns False when another writer got there first (re-read and decide again).
        """
        from azure.core import MatchConditions
        from azure.core.exceptions import (
            HttpResponseError,
            ResourceExistsError,
            ResourceModifiedError,
        )

        self._ensure_container()
        blob = self._container.get_blob_client(pointer_blob(template_id))
        condition: dict[str, Any] = (
            {"overwrite": False}
            if etag is None
            else {"overwrite": True, "etag": etag, "match_condition": MatchConditions.IfNotModified}
        )
        try:
            blob.upload_blob(pointer.to_json(), metadata=pointer.to_metadata(), **condition)
        except (ResourceExistsError, ResourceModifiedError):
            return False
        except HttpResponseError as exc:
            if _error_code(exc) in _LEASED:
                return False  # a pruner holds the pointer for a moment: re-read and retry
            raise
        return True

    @contextlib.contextmanager
    def pointer_held(self, template_id: ResourceId) -> Iterator[bool]:
        """Hold the pointer for a prune (a blob lease): yields False when another pruner has it.

        While held, no writer can move the pointer (its upload answers 412 LeaseIdMissing).
        A pruner that dies keeps it at most LEASE_SECONDS.
        """
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        blob = self._container.get_blob_client(pointer_blob(template_id))
        try:
            lease = blob.acquire_lease(lease_duration=LEASE_SECONDS)
        except ResourceNotFoundError:
            yield False
            return
        except HttpResponseError as exc:
            if exc.status_code != 409:  # 409 LeaseAlreadyPresent: another pruner is at work
                raise
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(HttpResponseError):  # it expires by itself anyway
                lease.release()

    def has_version(self, template_id: ResourceId, digest: str) -> bool:
        """True when the version blob for `digest` exists."""
        blob = self._container.get_blob_client(version_blob(template_id, digest))
        return bool(blob.exists())

    def put_version(
        self, template_id: ResourceId, digest: str, data: bytes, metadata: dict[str, str]
    ) -> bool:
        """Create the version blob for `digest`; return False when it already exists."""
        from azure.core.exceptions import ResourceExistsError

        self._ensure_container()
        blob = self._container.get_blob_client(version_blob(template_id, digest))
        try:
            blob.upload_blob(data, overwrite=False, metadata=metadata)
        except ResourceExistsError:
            return False
        return True

    def touch_version(self, template_id: ResourceId, digest: str, metadata: dict[str, str]) -> bool:
        """Replace a version blob's metadata (a revert makes an old version the newest again).

        Returns False when the blob is gone (pruned meanwhile): put it again.
        """
        from azure.core.exceptions import ResourceNotFoundError

        blob = self._container.get_blob_client(version_blob(template_id, digest))
        try:
            blob.set_blob_metadata(metadata)
        except ResourceNotFoundError:
            return False
        return True

    def read_version(self, template_id: ResourceId, digest: str) -> bytes | None:
        """Return the backup body stored under `digest`, or None when it does not exist."""
        from azure.core.exceptions import ResourceNotFoundError

        blob = self._container.get_blob_client(version_blob(template_id, digest))
        try:
            data: bytes = blob.download_blob().readall()
        except ResourceNotFoundError:
            return None
        return data

    def _list(self, prefix: str) -> list[Any]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return list(self._container.list_blobs(name_starts_with=prefix, include=["metadata"]))
        except ResourceNotFoundError:
            return []  # no container yet: nothing was ever backed up

    def list_versions(self, template_id: ResourceId) -> list[VersionInfo]:
        """Return the stored versions of a template, with their capture times."""
        out = []
        for item in self._list(f"{template_prefix(template_id)}{VERSIONS_FOLDER}/"):
            when = _captured_at(item.metadata or {}) or item.last_modified
            out.append(VersionInfo(digest_of_version_blob(item.name), when))
        return out

    def delete_version(self, template_id: ResourceId, digest: str) -> None:
        """Delete one version blob; already gone is success."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._container.delete_blob(version_blob(template_id, digest))
        except ResourceNotFoundError:
            logger.info("backup version already gone", extra={"content_hash": digest})

    def list_pointers(self) -> list[Pointer]:
        """Return the pointer of every backed-up template (skipping damaged ones, logged)."""
        out = []
        for item in self._list(""):
            if not item.name.endswith(f"/{POINTER_NAME}"):
                continue
            try:
                out.append(Pointer.from_metadata(item.metadata or {}))
            except (KeyError, ValueError):
                logger.warning("damaged pointer blob skipped", extra={"blob": item.name})
        return out


def _captured_at(metadata: dict[str, str]) -> datetime | None:
    """The capture time in a version's metadata; None when absent or damaged."""
    try:
        return datetime.fromisoformat(metadata["capturedat"])
    except (KeyError, ValueError):
        return None
