"""Restore value types: the DR target, source facts, changes, attention items, plan, DR names."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.templates.errors import RestoreConflict

SOURCE_TAG = "lifeboat-restored-from"
HASH_TAG = "lifeboat-content-hash"
_NAME_LIMIT = 64  # imageTemplates names: 1-64 of [A-Za-z0-9-_.]
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TAG_VALUE_LIMIT = 256


@dataclass(frozen=True)
class RestoreTarget:
    """Where a backup is recreated: the DR region and the DR artefacts from Settings."""

    dr_region: str
    resource_group: str
    gallery_name: str
    vhd_container_url: str
    subnet_map: Mapping[str, str] = field(default_factory=dict)
    identity_map: Mapping[str, str] = field(default_factory=dict)
    replica_count: int = 1
    storage_account_type: str = "Standard_ZRS"


@dataclass(frozen=True)
class SourceFacts:
    """What is known about the source image in the DR region (looked up by the service)."""

    dr_copy_id: str | None = None
    in_dr_region: bool | None = None


@dataclass(frozen=True)
class Change:
    """One rewrite made for the DR region: JSON path, old and new value, and why."""

    path: str
    before: Any
    after: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the change as JSON-ready dict."""
        return {"path": self.path, "from": self.before, "to": self.after, "reason": self.reason}


@dataclass(frozen=True)
class Attention:
    """Something an operator must fix or check before the DR template can build."""

    code: str
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """Return the item as JSON-ready dict."""
        return {"code": self.code, "path": self.path, "message": self.message}


@dataclass(frozen=True)
class RestoreSpec:
    """The exact body to PUT, where, and what was changed or needs attention."""

    target_id: ResourceId
    body: dict[str, Any]
    content_hash: str
    changes: tuple[Change, ...]
    attention: tuple[Attention, ...]


def short_hash(text: str) -> str:
    """Return 8 hex digits of the SHA-256 of `text`, case-folded (ARM ids ignore case)."""
    return hashlib.sha256(text.lower().encode("utf-8")).hexdigest()[:8]


def dr_name(name: str, dr_region: str, source_id: str, limit: int) -> str:
    """Return `<name>-dr-<region>-<8 hex of source_id>`, `name` cut to fit `limit` characters.

    The hash of the whole source id keeps same-named resources of different resource groups
    (or subscriptions) apart once they share the one DR resource group.
    """
    suffix = f"-dr-{dr_region}-{short_hash(source_id)}"
    return f"{name[: limit - len(suffix)].rstrip('-_.')}{suffix}"


def dr_template_name(source_id: ResourceId, dr_region: str) -> str:
    """Return the deterministic DR template name `<name>-dr-<region>-<hash>` (≤ 64 chars)."""
    return dr_name(source_id.name, dr_region, str(source_id), _NAME_LIMIT)


def validate_template_name(value: str, field_name: str = "name") -> str:
    """Return `value` when it is a valid image template name; raise InvalidInput otherwise."""
    if not _NAME_OK.match(value):
        raise InvalidInput(field_name, "expected 1-64 letters, digits, '-', '_' or '.'")
    return value


def already_restored(plan: RestoreSpec, existing: Mapping[str, Any] | None) -> bool:
    """Return True when `existing` (the DR template, or None) already is this plan's template.

    Raises RestoreConflict when another template holds the DR name, or when it is this one but
    failed to provision: Image Builder refuses a PUT on an existing name, so the operator must
    delete it and restore again, or restore under a new name.
    """
    if existing is None:
        return False
    tags = existing.get("tags") or {}
    state = str((existing.get("properties") or {}).get("provisioningState") or "")
    where = f"image template {plan.target_id}"
    advice = (
        "Image Builder cannot update a template in place: delete it and restore again, "
        'or restore under a new name with "name"'
    )
    if tags.get(HASH_TAG) != plan.content_hash:
        raise RestoreConflict(
            "templateId", f"{where} already exists with different content. {advice}"
        )
    if state.lower() == "failed":
        raise RestoreConflict("templateId", f"{where} exists but failed to provision. {advice}")
    return True
