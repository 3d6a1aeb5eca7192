"""The restore service: recreate a template in its DR region from a backup in DR storage only."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, Final

from shared.arm_id import ResourceId
from shared.azure.failures import DENIED_STATUS, azure_failures
from shared.azure.image_templates import (
    ASSIGN_IDENTITY_ACTION,
    begin_create_image_template,
    get_image_template,
)
from shared.bootstrap import Deps
from shared.engine.names import dr_resource_group
from shared.errors import AzureRefused, ConfigurationError, InvalidInput, LifeboatError
from shared.regions import normalize_region
from shared.scope import require_in_scope
from shared.templates.errors import (
    BackupDamaged,
    BackupNotFound,
    RestoreConflict,
    RestoreRejected,
)
from shared.templates.requests import LATEST, RestoreRequest
from shared.templates.restore import (
    Attention,
    Change,
    RestoreSpec,
    RestoreTarget,
    already_restored,
    prepare_restore,
)
from shared.templates.sources import distribute_attention, source_facts

logger = logging.getLogger(__name__)


class RestoreOutcome:
    """What a restore did."""

    CREATED: Final = "created"
    UNCHANGED: Final = "unchanged"
    DRY_RUN: Final = "dry_run"


@dataclass(frozen=True)
class RestoreResult:
    """The outcome of a restore: where, from which backup, the body, changes and attention."""

    outcome: str
    template_id: str
    target_id: str
    backup: str
    body: dict[str, Any]
    changes: tuple[Change, ...]
    attention: tuple[Attention, ...]
    provisioning_state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        return {
            "outcome": self.outcome,
            "dryRun": self.outcome == RestoreOutcome.DRY_RUN,
            "templateId": self.template_id,
            "targetId": self.target_id,
            "backup": self.backup,
            "provisioningState": self.provisioning_state,
            "body": self.body,
            "changes": [c.to_dict() for c in self.changes],
            "attention": [a.to_dict() for a in self.attention],
        }


def _resolve(ref: str, template_id: ResourceId, deps: Deps) -> str:
    stored = deps.backups.list_versions(template_id)
    if not stored:
        raise BackupNotFound("templateId", f"no backup of {template_id} in DR storage")
    matches = sorted(v.content_hash for v in stored if v.content_hash.startswith(ref))
    if not matches:
        raise BackupNotFound("backup", f"no backup {ref} of {template_id} in DR storage")
    if len(matches) > 1:
        raise InvalidInput("backup", f"{ref} matches {len(matches)} backups; give more digits")
    return matches[0]


def _latest(template_id: ResourceId, deps: Deps) -> tuple[str, bytes]:
    """The latest backup: the one the pointer names, else the newest stored version.

    A pointer that is missing or names a version that is gone (an interrupted prune) must not
    make a DR restore fail while a backup exists. Raises BackupNotFound when none exists,
    BackupDamaged for a pointer that cannot be read.
    """
    found = deps.backups.read_pointer(template_id)
    if found is not None:
        data = deps.backups.read_version(template_id, found[0].content_hash)
        if data is not None:
            return found[0].content_hash, data
    stored = sorted(
        deps.backups.list_versions(template_id),
        key=lambda v: (v.captured_at, v.content_hash),
        reverse=True,
    )
    for version in stored:
        data = deps.backups.read_version(template_id, version.content_hash)
        if data is not None:
            logger.warning(
                "backup pointer names no stored version; restoring the newest version",
                extra={"template_id": str(template_id), "content_hash": version.content_hash},
            )
            return version.content_hash, data
    raise BackupNotFound("templateId", f"no backup of {template_id} in DR storage")


def _load(request: RestoreRequest, deps: Deps) -> tuple[str, dict[str, Any]]:
    template_id = request.template_id
    if request.backup == LATEST:
        digest, data = _latest(template_id, deps)
        return digest, _parse(data, digest, template_id)
    digest = _resolve(request.backup, template_id, deps)  # works without a readable pointer
    found = deps.backups.read_version(template_id, digest)
    if found is None:
        raise BackupNotFound("backup", f"backup {digest} of {template_id} is missing")
    return digest, _parse(found, digest, template_id)


def _parse(data: bytes, digest: str, template_id: ResourceId) -> dict[str, Any]:
    """The backup's body; raises BackupDamaged when it is not the JSON object its hash names."""
    damaged = f"backup {digest} of {template_id} is damaged"
    advice = "restore another backup by its hash, or back the template up again"
    if hashlib.sha256(data).hexdigest() != digest:
        raise BackupDamaged("backup", f"{damaged} (its content does not match its hash); {advice}")
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise BackupDamaged("backup", f"{damaged} (not a JSON object); {advice}")
    return body


def _target(dr_region: str, deps: Deps) -> RestoreTarget:
    s = deps.settings
    account_url = str(deps.clients.blob_service("dr").url).rstrip("/")
    return RestoreTarget(
        dr_region=dr_region,
        resource_group=dr_resource_group(s, dr_region),
        gallery_name=s.dr_gallery_name,
        vhd_container_url=f"{account_url}/{s.vhd_container}",
        subnet_map=s.subnet_map,
        identity_map=s.identity_map,
        replica_count=s.replica_count,
        storage_account_type=s.storage_account_type,
    )


def restore_spec_for(request: RestoreRequest, deps: Deps) -> tuple[str, RestoreSpec]:
    """Return the backup hash and the restore plan, reading only DR storage (and probes).

    Raises BackupNotFound / InvalidInput for unknown backups, BackupDamaged for an unreadable
    backup, ConfigurationError when the template's region has no DR region.
    """
    digest, backup = _load(request, deps)
    try:
        primary = normalize_region(backup.get("location"), "backup.location")
        dr_region = deps.settings.dr_region(primary)
        facts = source_facts(backup, dr_region, deps)
        target = _target(dr_region, deps)
        plan = prepare_restore(request.template_id, backup, target, facts, request.name)
        extra = distribute_attention(plan.body, deps)
    except InvalidInput as exc:
        # The request was fine; the stored body is not a restorable template.
        message = f"backup {digest} of {request.template_id} is damaged ({exc})"
        raise BackupDamaged("backup", message) from exc
    return digest, replace(plan, attention=plan.attention + extra)


def pin_backup(request: RestoreRequest, deps: Deps) -> tuple[str, str]:
    """Return (the backup's content hash, the DR region) a restore of `request` works from.

    "latest" is resolved now, so a restore job restores the backup that was latest when it
    was asked for. Reads DR storage only. Raises InvalidInput("templateId") outside
    Settings.subscriptions, BackupNotFound / BackupDamaged / InvalidInput for unknown or
    unreadable backups, ConfigurationError when the template's region has no DR region.
    """
    require_in_scope(request.template_id, deps.settings.subscriptions, "templateId")
    digest, backup = _load(request, deps)
    try:
        primary = normalize_region(backup.get("location"), "backup.location")
    except InvalidInput as exc:
        message = f"backup {digest} of {request.template_id} is damaged ({exc})"
        raise BackupDamaged("backup", message) from exc
    return digest, deps.settings.dr_region(primary)


def restore_template(request: RestoreRequest, deps: Deps) -> RestoreResult:
    """Recreate the template in its DR region from its latest (or chosen) backup.

    Idempotent: when the DR template already holds this content nothing is written. A dry
    run (or Settings.dry_run) returns the body it would PUT. Raises BackupNotFound
    (BackupDamaged when the stored backup cannot be read), RestoreConflict (the DR name holds
    other content), RestoreRejected (Azure refused the body), ConfigurationError (Azure denied
    the app, e.g. no assign/action on the template's identity), TransientError (throttled or
    unavailable), InvalidInput("templateId") for a template outside Settings.subscriptions.
    """
    require_in_scope(request.template_id, deps.settings.subscriptions, "templateId")
    return _restore(request, deps)


def _restore(request: RestoreRequest, deps: Deps) -> RestoreResult:
    digest, plan = restore_spec_for(request, deps)
    if request.dry_run or deps.settings.dry_run:
        return _result(RestoreOutcome.DRY_RUN, request.template_id, digest, plan)
    existing = get_image_template(deps.clients, plan.target_id)
    if already_restored(plan, existing):
        state = _state(existing)
        return _result(RestoreOutcome.UNCHANGED, request.template_id, digest, plan, state)
    created = _put(plan, deps)
    logger.info(
        "template restored in DR region",
        extra={"template_id": str(request.template_id), "target_id": str(plan.target_id)},
    )
    return _result(RestoreOutcome.CREATED, request.template_id, digest, plan, _state(created))


def _put(plan: RestoreSpec, deps: Deps) -> dict[str, Any] | None:
    from shared.engine.placement import ensure_dr_group

    ensure_dr_group(deps.clients, deps.settings, str(plan.target_id))  # in its DR region
    try:
        # Transient failures leave as TransientError (503 with Azure's Retry-After).
        with azure_failures("template restore", denied=False):
            poller = begin_create_image_template(deps.clients, plan.target_id, plan.body)
            created = poller.result()
    except AzureRefused as exc:
        if exc.status == HTTPStatus.CONFLICT:
            # Created between our GET and PUT (a concurrent restore): same content is success.
            existing = get_image_template(deps.clients, plan.target_id)
            if already_restored(plan, existing):
                return existing
            conflict = f"Image Builder refused the PUT: {exc.detail}"
            raise RestoreConflict("templateId", conflict) from exc
        raise _refused(plan, exc) from exc
    return created.as_dict() if hasattr(created, "as_dict") else None


def _refused(plan: RestoreSpec, exc: AzureRefused) -> LifeboatError:
    """ConfigurationError when Azure denied the app (401/403), else RestoreRejected."""
    code, message = exc.code, exc.detail
    if exc.status not in DENIED_STATUS:
        return RestoreRejected(
            "backup", f"Image Builder refused the DR template: ({code}) {message}"
        )
    identities = ", ".join(_identities(plan.body)) or "none"
    return ConfigurationError(
        "role assignments",
        f"Azure denied the PUT of {plan.target_id} ({code}). The app's identity needs "
        f"{ASSIGN_IDENTITY_ACTION} on each identity the template attaches ({identities}) and "
        "Microsoft.VirtualMachineImages/imageTemplates/write on resource group "
        f"{plan.target_id.resource_group}",
    )


def _identities(body: dict[str, Any]) -> list[str]:
    users = ((body.get("identity") or {}).get("userAssignedIdentities")) or {}
    vm = ((body.get("properties") or {}).get("vmProfile") or {}).get("userAssignedIdentities")
    return sorted({*users, *(vm or [])}, key=str.lower)


def _state(resource: dict[str, Any] | None) -> str | None:
    state = ((resource or {}).get("properties") or {}).get("provisioningState")
    return str(state) if state else None


def _result(
    outcome: str,
    template_id: ResourceId,
    digest: str,
    plan: RestoreSpec,
    state: str | None = None,
) -> RestoreResult:
    return RestoreResult(
        outcome,
        str(template_id),
        str(plan.target_id),
        digest,
        plan.body,
        plan.changes,
        plan.attention,
        state,
    )
