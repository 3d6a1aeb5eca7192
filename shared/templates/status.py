"""Readiness of template DR, for /api/status: one list of findings over every template."""

from __future__ import annotations

import logging
from typing import Any

from shared.arm_id import ResourceId
from shared.azure.failures import AZURE_FAILURES, azure_failures, azure_kind
from shared.azure.image_templates import get_image_template, list_image_templates
from shared.bootstrap import Deps
from shared.errors import ConfigurationError
from shared.templates.backup import Pointer, content_hash, deployable
from shared.templates.errors import BackupDamaged
from shared.templates.readiness import Finding, TemplateFacts, template_findings
from shared.templates.service import NO_SCOPE, is_restored_copy
from shared.templates.sources import source_facts, source_generation

logger = logging.getLogger(__name__)


def template_readiness(deps: Deps) -> list[Finding]:
    """Return the readiness findings of every image template in Settings.subscriptions.

    Findings: Hyper-V generation 1 source, backup missing, damaged or older than the last
    change, source image not in the DR region, no DR region configured, template unreadable,
    and (alone, with an empty template id) no subscription in scope. An empty list means
    every template is ready. Raises azure.core errors when the Resource Graph listing fails.
    """
    if not deps.settings.subscriptions:
        return [Finding("", "no_subscriptions", NO_SCOPE, "set LIFEBOAT_SUBSCRIPTIONS")]
    findings: list[Finding] = []
    for item in list_image_templates(deps.clients, deps.settings.subscriptions):
        if not is_restored_copy(item.tags):
            findings.extend(_one(item.id, deps))
    return findings


def _one(template_id: ResourceId, deps: Deps) -> list[Finding]:
    name = str(template_id)
    try:
        with azure_failures("template read"):
            resource = get_image_template(deps.clients, template_id)
    except AZURE_FAILURES as exc:
        reason = f"could not read the template ({azure_kind(exc)})"
        return [Finding(name, "template_unreadable", reason, "check access and region health")]
    if resource is None:
        return []  # deleted since it was listed
    body = deployable(resource)
    try:
        dr_region = deps.settings.dr_region(body["location"])
    except ConfigurationError as exc:
        return [Finding(name, "no_dr_region", str(exc), f"set {exc.setting}")]
    return template_findings(_facts(template_id, body, dr_region, deps))


def _facts(
    template_id: ResourceId, body: dict[str, Any], dr_region: str, deps: Deps
) -> TemplateFacts:
    pointer, damage = _pointer(template_id, deps)
    source = source_facts(body, dr_region, deps)
    return TemplateFacts(
        template_id=str(template_id),
        body=body,
        content_hash=content_hash(body),
        pointer=pointer,
        generation=source_generation(body, deps),
        source_in_dr_region=True if source.dr_copy_id else source.in_dr_region,
        dr_region=dr_region,
        backup_damage=damage,
    )


def _pointer(template_id: ResourceId, deps: Deps) -> tuple[Pointer | None, str | None]:
    """The latest-backup pointer, or why it could not be read (a damaged blob is a finding)."""
    try:
        found = deps.backups.read_pointer(template_id)
    except BackupDamaged as exc:
        return None, exc.message
    return (found[0] if found else None), None


def template_status(deps: Deps) -> dict[str, Any]:
    """Return the templates section of /api/status; `available: false` while ARM is unreachable."""
    try:
        with azure_failures("template readiness"):
            findings = template_readiness(deps)
    except AZURE_FAILURES as exc:
        # Resource Graph may be unreachable in an outage; image readiness still answers.
        return {"available": False, "error": azure_kind(exc), "findings": []}
    return {"available": True, "findings": [f.to_dict() for f in findings]}
