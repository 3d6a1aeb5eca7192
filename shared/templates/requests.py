"""The manual template DR requests (HTTP bodies) as typed, validated values."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.arm_id import ResourceId
from shared.bodies import parse_json_object
from shared.errors import InvalidInput
from shared.templates.backup import template_id_of
from shared.templates.restore import validate_template_name

LATEST = "latest"
_HASH_PREFIX = re.compile(r"^[0-9a-f]{8,64}$")


@dataclass(frozen=True)
class BackupRequest:
    """Back up one template (`template_id`) or every template in scope (`all`)."""

    template_id: ResourceId | None
    all: bool


@dataclass(frozen=True)
class RestoreRequest:
    """Recreate a template in its DR region from a backup (a content hash, or "latest")."""

    template_id: ResourceId
    backup: str = LATEST
    dry_run: bool = False
    name: str | None = None


def parse_backup_request(raw: bytes | str) -> BackupRequest:
    """Return the request `{"templateId": ...}` or `{"all": true}`; raise InvalidInput."""
    body = parse_json_object(raw, {"templateId", "all"})
    everything = body.get("all", False)
    if not isinstance(everything, bool):
        raise InvalidInput("all", "expected true or false")
    if everything and "templateId" in body:
        raise InvalidInput("templateId", 'give either "templateId" or "all": true, not both')
    if everything:
        return BackupRequest(None, True)
    if "templateId" not in body:
        raise InvalidInput("templateId", 'required (or "all": true)')
    return BackupRequest(template_id_of(body["templateId"]), False)


def _backup_ref(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput("backup", 'expected "latest" or a content hash string')
    text = value.strip().lower()
    if text != LATEST and not _HASH_PREFIX.match(text):
        raise InvalidInput("backup", 'expected "latest" or a content hash (8-64 hex digits)')
    return text


def parse_restore_request(raw: bytes | str) -> RestoreRequest:
    """Return the request `{"templateId", "backup"?, "dryRun"?, "name"?}`; raise InvalidInput."""
    body = parse_json_object(raw, {"templateId", "backup", "dryRun", "name"})
    if "templateId" not in body:
        raise InvalidInput("templateId", "required")
    dry_run = body.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise InvalidInput("dryRun", "expected true or false")
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidInput("name", "expected a template name string")
    return RestoreRequest(
        template_id=template_id_of(body["templateId"]),
        backup=_backup_ref(body.get("backup", LATEST)),
        dry_run=dry_run,
        name=validate_template_name(name) if name is not None else None,
    )
