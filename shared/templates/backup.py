"""Pure backup planning: deployable template JSON, its content hash, blob names, retention."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.regions import normalize_region

TEMPLATE_TYPE = "Microsoft.VirtualMachineImages/imageTemplates"
POINTER_NAME = "latest.json"
VERSIONS_FOLDER = "versions"

# ImageTemplate (TrackedResource) accepts only these at the top level; id, name, type,
# systemData and ARM-template wrapper keys (apiVersion, dependsOn) make a PUT fail from
# api-version 2024-02-01, which rejects unknown fields.
_TOP_LEVEL = ("location", "tags", "identity", "properties")
# Read-only in the azure-mgmt-imagebuilder 2.0.0 models (rest_field visibility ["read"]).
_PROPERTIES_READ_ONLY = frozenset(
    {"provisioningState", "provisioningError", "lastRunStatus", "exactStagingResourceGroup"}
)
_SOURCE_READ_ONLY = frozenset({"exactVersion"})
_IDENTITY_READ_ONLY = frozenset({"principalId", "clientId"})
# Old api-versions answer `"version": "latest (16.04.202004290)"`; only "latest" can be PUT.
_DECORATED_LATEST = re.compile(r"^latest\s*\(.*\)$", re.IGNORECASE)


def template_id_of(value: object, field: str = "templateId") -> ResourceId:
    """Return `value` parsed as an image template id; raise InvalidInput naming `field`."""
    rid = ResourceId.parse(value, field)
    if not rid.is_type(TEMPLATE_TYPE) or rid.resource_group is None:
        raise InvalidInput(field, f"not an image template id (expected type {TEMPLATE_TYPE})")
    return rid


def _without_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _clean_source(source: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in source.items() if k not in _SOURCE_READ_ONLY}
    version = out.get("version")
    if isinstance(version, str) and _DECORATED_LATEST.match(version.strip()):
        out["version"] = "latest"
    return out


def _clean_identity(identity: dict[str, Any]) -> dict[str, Any]:
    out = dict(identity)
    users = out.get("userAssignedIdentities")
    if isinstance(users, dict):
        out["userAssignedIdentities"] = {
            key: {k: v for k, v in (val or {}).items() if k not in _IDENTITY_READ_ONLY}
            for key, val in users.items()
        }
    return out


def deployable(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Return the template as a body ready to PUT: server-set and read-only fields removed.

    Keeps location (programmatic name), tags, identity and properties; drops nulls. Raises
    InvalidInput naming `template.location` / `template.properties` when they are missing.
    """
    raw = _without_none(resource)
    if not isinstance(raw.get("properties"), dict):
        raise InvalidInput("template.properties", "the template has no properties object")
    body = {key: raw[key] for key in _TOP_LEVEL if key in raw}
    body["location"] = normalize_region(raw.get("location"), "template.location")
    props = {k: v for k, v in raw["properties"].items() if k not in _PROPERTIES_READ_ONLY}
    if isinstance(props.get("source"), dict):
        props["source"] = _clean_source(props["source"])
    body["properties"] = props
    if isinstance(body.get("identity"), dict):
        body["identity"] = _clean_identity(body["identity"])
    return body


def canonical_bytes(body: Mapping[str, Any]) -> bytes:
    """Return the canonical JSON encoding of `body` (sorted keys, compact, UTF-8)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def content_hash(body: Mapping[str, Any]) -> str:
    """Return the SHA-256 hex digest of the canonical JSON of `body`."""
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def template_prefix(template_id: ResourceId) -> str:
    """Return the blob folder of a template: `<subscription>/<resource group>/<name>/`.

    Lower-cased because ARM names are case-insensitive: one template, one folder.
    """
    rg = template_id.resource_group or ""
    return f"{template_id.subscription}/{rg}/{template_id.name}/".lower()


def version_blob(template_id: ResourceId, digest: str) -> str:
    """Return the blob name holding the backup whose content hash is `digest`."""
    return f"{template_prefix(template_id)}{VERSIONS_FOLDER}/{digest}.json"


def pointer_blob(template_id: ResourceId) -> str:
    """Return the blob name of the pointer to the latest backup."""
    return f"{template_prefix(template_id)}{POINTER_NAME}"


def digest_of_version_blob(name: str) -> str:
    """Return the content hash encoded in a version blob name."""
    return name.rsplit("/", 1)[-1].removesuffix(".json")


@dataclass(frozen=True)
class Pointer:
    """The pointer blob's facts: which backup is the latest, and whether the source is gone."""

    template_id: str
    content_hash: str
    captured_at: datetime
    api_version: str
    deleted: bool = False
    deleted_at: datetime | None = None

    def to_metadata(self) -> dict[str, str]:
        """Return blob metadata (ASCII only, so the source id is percent-encoded)."""
        meta = {
            "sourceid": quote(self.template_id, safe="/"),
            "capturedat": self.captured_at.isoformat(),
            "contenthash": self.content_hash,
            "apiversion": self.api_version,
            "deleted": "true" if self.deleted else "false",
        }
        if self.deleted_at is not None:
            meta["deletedat"] = self.deleted_at.isoformat()
        return meta

    @classmethod
    def from_metadata(cls, meta: Mapping[str, str]) -> Pointer:
        """Return the pointer stored in blob metadata; raise KeyError/ValueError if damaged."""
        deleted_at = meta.get("deletedat")
        return cls(
            template_id=unquote(meta["sourceid"]),
            content_hash=meta["contenthash"],
            captured_at=datetime.fromisoformat(meta["capturedat"]),
            api_version=meta.get("apiversion", ""),
            deleted=meta.get("deleted", "false").lower() == "true",
            deleted_at=datetime.fromisoformat(deleted_at) if deleted_at else None,
        )

    def to_json(self) -> bytes:
        """Return the pointer blob's body: the same facts as JSON, for people and tools."""
        doc = {
            "templateId": self.template_id,
            "contentHash": self.content_hash,
            "capturedAt": self.captured_at.isoformat(),
            "apiVersion": self.api_version,
            "deleted": self.deleted,
            "deletedAt": self.deleted_at.isoformat() if self.deleted_at else None,
        }
        return json.dumps(doc, indent=2).encode("utf-8")

    def marked_deleted(self, now: datetime) -> Pointer:
        """Return this pointer marked deleted at `now` (unchanged when already deleted)."""
        return self if self.deleted else replace(self, deleted=True, deleted_at=now)


def version_metadata(
    template_id: str, digest: str, captured_at: datetime, api_version: str
) -> dict[str, str]:
    """Return the metadata of a version blob: source, capture time, hash and api-version.

    Deleted state lives only on the pointer; a version's copy of it would go stale.
    """
    meta = Pointer(template_id, digest, captured_at, api_version).to_metadata()
    return {k: v for k, v in meta.items() if k not in ("deleted", "deletedat")}


def needs_backup(pointer: Pointer | None, digest: str) -> bool:
    """Return False only when the latest backup already holds `digest` and is not deleted."""
    return pointer is None or pointer.deleted or pointer.content_hash != digest


@dataclass(frozen=True)
class VersionInfo:
    """One stored backup version: its content hash and when it was (last) captured."""

    content_hash: str
    captured_at: datetime


def plan_retention(versions: Sequence[VersionInfo], keep: int, current: str) -> tuple[str, ...]:
    """Return the hashes to delete so only the newest `keep` versions remain.

    The pointer's `current` version is always kept, even when it is not among the newest.
    Ties on capture time break on the hash, so the plan is deterministic.
    """
    ordered = sorted(versions, key=lambda v: (v.captured_at, v.content_hash), reverse=True)
    kept = {v.content_hash for v in ordered[: max(keep, 1)]}
    return tuple(
        v.content_hash for v in ordered if v.content_hash not in kept and v.content_hash != current
    )
