"""Template backup services: one template, every template, ARM events and the daily sweep."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.failures import AZURE_FAILURES, azure_failures
from shared.azure.image_templates import (
    get_image_template,
    image_builder_api_version,
    list_image_templates,
)
from shared.bootstrap import Deps
from shared.errors import InvalidInput, TransientError
from shared.scope import in_scope, require_in_scope
from shared.templates.backup import (
    Pointer,
    canonical_bytes,
    content_hash,
    deployable,
    needs_backup,
    plan_retention,
    template_id_of,
    version_blob,
    version_metadata,
)
from shared.templates.errors import BackupDamaged, TemplateNotFound
from shared.templates.requests import BackupRequest
from shared.templates.restore import SOURCE_TAG
from shared.templates.results import BackupResult, Outcome, SweepResult

if TYPE_CHECKING:
    from shared.events.resource import ResourceEvent

logger = logging.getLogger(__name__)

# Optimistic concurrency on the pointer: a few re-reads settle any realistic race.
_ATTEMPTS = 5


def is_restored_copy(tags: Mapping[str, Any] | None) -> bool:
    """True for a template Lifeboat recreated in a DR region (its source is backed up)."""
    return any(str(key).lower() == SOURCE_TAG for key in (tags or {}))


def backup_template(
    template_id: ResourceId, deps: Deps, *, require_known: bool = False
) -> BackupResult:
    """Bring the backups of one template in line with the template as it is now.

    A new content hash writes a version blob and moves the pointer; the same content writes
    nothing; a template that no longer exists gets its pointer marked deleted (backups kept).
    Templates outside Settings.subscriptions are skipped, unread. Returns what happened.
    With `require_known`, raises InvalidInput for an out-of-scope template and
    TemplateNotFound for one that neither exists nor was ever backed up. Raises
    TransientError under unending pointer races, azure.core errors when Azure fails.
    """
    if not _in_scope(template_id, deps):
        if require_known:
            require_in_scope(template_id, deps.settings.subscriptions, "templateId")
        return BackupResult(str(template_id), Outcome.SKIPPED)
    resource = get_image_template(deps.clients, template_id)
    if resource is None:
        return _mark_deleted(template_id, deps, require_known)
    if is_restored_copy(resource.get("tags")):
        return BackupResult(str(template_id), Outcome.SKIPPED)
    return _store(template_id, deployable(resource), deps)


def _in_scope(template_id: ResourceId, deps: Deps) -> bool:
    return in_scope(template_id.subscription, deps.settings.subscriptions)


def _store(template_id: ResourceId, body: dict[str, Any], deps: Deps) -> BackupResult:
    digest, data = content_hash(body), canonical_bytes(body)
    blob = version_blob(template_id, digest)
    api_version = image_builder_api_version(deps.clients, template_id.subscription)
    for _ in range(_ATTEMPTS):
        pointer, etag = _read_pointer(template_id, deps)
        if not needs_backup(pointer, digest):
            if deps.backups.has_version(template_id, digest):
                return BackupResult(str(template_id), Outcome.UNCHANGED, digest, blob)
            logger.warning(  # the pointer names a version that is gone: write it again
                "backup pointer named a missing version; rewriting it",
                extra={"template_id": str(template_id), "content_hash": digest},
            )
        if deps.settings.dry_run:
            return BackupResult(str(template_id), Outcome.WOULD_BACK_UP, digest, blob)
        now = deps.clock()
        meta = version_metadata(str(template_id), digest, now, api_version)
        stored = deps.backups.put_version(template_id, digest, data, meta)
        if not stored and not deps.backups.touch_version(template_id, digest, meta):
            continue  # pruned between our two calls: put it again
        from shared.publish.emitters import template_version_stored

        template_version_stored(deps, template_id, digest, blob, now)
        latest = Pointer(str(template_id), digest, now, api_version)
        if deps.backups.write_pointer(template_id, latest, etag):
            pruned = _prune(template_id, deps)
            logger.info(
                "template backed up",
                extra={"template_id": str(template_id), "content_hash": digest, "action": "backup"},
            )
            return BackupResult(str(template_id), Outcome.BACKED_UP, digest, blob, pruned)
    raise TransientError(f"the backup pointer of {template_id} kept changing; retry")


def _read_pointer(template_id: ResourceId, deps: Deps) -> tuple[Pointer | None, str | None]:
    """The pointer and its ETag, or (None, None) when there is none.

    A damaged pointer reads as no pointer with the damaged blob's ETag, so the next write
    replaces exactly that blob (If-Match) instead of failing on it forever.
    """
    try:
        found = deps.backups.read_pointer(template_id)
    except BackupDamaged as exc:
        logger.warning(
            "damaged backup pointer will be replaced",
            extra={"template_id": str(template_id), "error": exc.message},
        )
        return None, exc.etag
    return found or (None, None)


def _newest_version(template_id: ResourceId, deps: Deps) -> Pointer | None:
    """A pointer rebuilt from the newest stored version (None when there is none)."""
    stored = deps.backups.list_versions(template_id)
    if not stored:
        return None
    newest = max(stored, key=lambda v: (v.captured_at, v.content_hash))
    api_version = image_builder_api_version(deps.clients, template_id.subscription)
    return Pointer(str(template_id), newest.content_hash, newest.captured_at, api_version)


def _prune(template_id: ResourceId, deps: Deps) -> tuple[str, ...]:
    """Delete versions beyond retention, never the one the pointer names.

    The pointer is held (leased) and re-read first: another writer may have moved it onto an
    old version since we wrote it, and must not be able to do so while we delete.
    """
    with deps.backups.pointer_held(template_id) as held:
        if not held:
            return ()  # another pruner is at work; the next backup prunes what is left
        pointer, _ = _read_pointer(template_id, deps)
        if pointer is None:
            return ()
        versions = deps.backups.list_versions(template_id)
        keep = deps.settings.template_backup_retention
        doomed = plan_retention(versions, keep, pointer.content_hash)
        for digest in doomed:
            deps.backups.delete_version(template_id, digest)
        return doomed


def _mark_deleted(template_id: ResourceId, deps: Deps, require_known: bool) -> BackupResult:
    for _ in range(_ATTEMPTS):
        pointer, etag = _read_pointer(template_id, deps)
        if pointer is None and etag is not None:  # damaged: the versions say what was latest
            pointer = _newest_version(template_id, deps)
        if pointer is None:
            if require_known:
                raise TemplateNotFound("templateId", f"image template {template_id} not found")
            return BackupResult(str(template_id), Outcome.NOT_FOUND)
        if pointer.deleted:
            return BackupResult(str(template_id), Outcome.ALREADY_DELETED, pointer.content_hash)
        if deps.settings.dry_run:
            return BackupResult(str(template_id), Outcome.WOULD_MARK_DELETED, pointer.content_hash)
        if deps.backups.write_pointer(template_id, pointer.marked_deleted(deps.clock()), etag):
            logger.info(
                "template gone; backups kept, marked deleted",
                extra={"template_id": str(template_id), "action": "mark_deleted"},
            )
            return BackupResult(str(template_id), Outcome.MARKED_DELETED, pointer.content_hash)
    raise TransientError(f"the backup pointer of {template_id} kept changing; retry")


def on_template_event(deps: Deps, event: ResourceEvent) -> BackupResult:
    """Handle a template write or delete event: re-read the template and sync its backups.

    Both routes do the same level-triggered sync, so late or reordered events converge on the
    template's real state. Raises InvalidInput when the subject is not a template id.
    """
    return backup_template(template_id_of(str(event.subject), "subject"), deps)


# What one template may fail with, reported while the sweep goes on to the next.
_SWEEP_FAILURES: tuple[type[Exception], ...] = (*AZURE_FAILURES, InvalidInput, ValueError)


def _sync_many(ids: list[ResourceId], deps: Deps) -> SweepResult:
    results: list[BackupResult] = []
    errors: list[tuple[str, str]] = []
    for template_id in ids:
        try:
            with azure_failures("template backup"):
                results.append(backup_template(template_id, deps))
        except _SWEEP_FAILURES as exc:
            # One throttled, malformed or damaged template must not stop the sweep; it is reported.
            error = _describe(exc)
            errors.append((str(template_id), error))
            logger.warning(
                "template backup failed for %s: %s",
                template_id,
                error,
                extra={"template_id": str(template_id), "error": error, "action": "backup"},
            )
    return SweepResult(tuple(results), tuple(errors))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, AZURE_FAILURES) and exc.__cause__ is not None:
        exc = exc.__cause__  # Azure's own answer says most
    status = getattr(exc, "status_code", None)
    error = getattr(exc, "error", None)
    if status:
        return f"HTTP {status} ({getattr(error, 'code', None) or type(exc).__name__})"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


NO_SCOPE = (
    "LIFEBOAT_SUBSCRIPTIONS is empty, so no subscription is in scope: the sweep, readiness, "
    '{"all": true} and events cover nothing. Set it to the subscriptions whose image templates '
    "Lifeboat protects"
)


def backup_all(deps: Deps) -> SweepResult:
    """Back up every image template in Settings.subscriptions (listed with Resource Graph).

    Returns per-template results and errors. Raises InvalidInput("all") when no subscription
    is in scope, azure.core errors when the listing fails.
    """
    if not deps.settings.subscriptions:
        raise InvalidInput("all", NO_SCOPE)
    listed = list_image_templates(deps.clients, deps.settings.subscriptions)
    ids = [item.id for item in listed if not is_restored_copy(item.tags)]
    return _sync_many(ids, deps)


def _unlisted(deps: Deps, seen: set[str]) -> list[ResourceId]:
    """Live backups whose template Resource Graph did not list: a GET decides their fate."""
    out = []
    for pointer in deps.backups.list_pointers():
        try:
            known = ResourceId.parse(pointer.template_id, "pointer.sourceid")
        except InvalidInput:
            logger.warning(
                "backup pointer with a damaged source id skipped", extra={"action": "reconcile"}
            )
            continue
        if not pointer.deleted and known.key() not in seen and _in_scope(known, deps):
            out.append(known)
    return out


def reconcile_templates(deps: Deps) -> SweepResult:
    """The daily sweep: back up every template, and mark backups of vanished ones deleted.

    Heals lost or failed events. Returns per-template results and errors. Raises azure.core
    errors when the Resource Graph listing fails.
    """
    if not deps.settings.subscriptions:
        logger.warning("template sweep lists nothing: %s", NO_SCOPE, extra={"action": "reconcile"})
    listed = list_image_templates(deps.clients, deps.settings.subscriptions)
    seen = {item.id.key() for item in listed}
    ids = [item.id for item in listed if not is_restored_copy(item.tags)]
    ids.extend(_unlisted(deps, seen))
    sweep = _sync_many(ids, deps)
    logger.info(
        "template sweep done",
        extra={"action": "reconcile", "templates": len(ids), "errors": len(sweep.errors)},
    )
    return sweep


def backup_on_request(request: BackupRequest, deps: Deps) -> BackupResult | SweepResult:
    """Serve POST /api/templates/backup: one template, or all of them.

    Raises InvalidInput for a template outside Settings.subscriptions, TemplateNotFound for
    one that neither exists nor was ever backed up, TransientError / ConfigurationError
    when Azure fails or denies access.
    """
    if request.all or request.template_id is None:
        return backup_all(deps)
    return backup_template(request.template_id, deps, require_known=True)


def daily_template_sweep(
    deps: Deps, now: datetime, force: bool = False
) -> tuple[dict[str, Any] | None, str | None]:
    """Run the template sweep when a day has passed since the last one (or `force`).

    Returns (the sweep's report, None), or (None, when it is next due) when it was not due.
    Raises what reconcile_templates raises.
    """
    from shared.templates.schedule import (
        TEMPLATE_SWEEP_EVERY,
        last_template_sweep,
        mark_template_sweep,
        template_sweep_due,
    )

    last = None if force else last_template_sweep(deps.records)
    if not force and not template_sweep_due(last, now):
        assert last is not None
        return None, (last + TEMPLATE_SWEEP_EVERY).isoformat()
    report = reconcile_templates(deps).to_dict()
    mark_template_sweep(deps.records, now)
    return report, None
