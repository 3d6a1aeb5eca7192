"""Readiness of template DR, for /api/status: one list of findings over every template."""

from __future__ import annotations

import logging

from shared.arm_id import ResourceId
from shared.azure.image_templates import get_image_template, list_image_templates
from shared.errors import ConfigurationError
from shared.templates.backup import content_hash, deployable
from shared.templates.deps import TemplateDeps, default_deps
from shared.templates.readiness import Finding, TemplateFacts, template_findings
from shared.templates.service import is_restored_copy
from shared.templates.sources import source_facts, source_generation

logger = logging.getLogger(__name__)


def template_readiness(deps: TemplateDeps | None = None) -> list[Finding]:
    """Return the readiness findings of every image template in Settings.subscriptions.

    Findings: Hyper-V generation 1 source, backup missing or older than the last change,
    source image not in the DR region, no DR region configured, template unreadable.
    An empty list means every template is ready. Raises azure.core errors when the Resource
    Graph listing fails.
    """
    deps = deps or default_deps()
    findings: list[Finding] = []
    for item in list_image_templates(deps.clients, deps.settings.subscriptions):
        if not is_restored_copy(item.tags):
            findings.extend(_one(item.id, deps))
    return findings


def _one(template_id: ResourceId, deps: TemplateDeps) -> list[Finding]:
    from azure.core.exceptions import AzureError

    name = str(template_id)
    try:
        resource = get_image_template(deps.clients, template_id)
    except AzureError as exc:
        reason = f"could not read the template ({type(exc).__name__})"
        return [Finding(name, "template_unreadable", reason, "check access and region health")]
    if resource is None:
        return []  # deleted since it was listed
    body = deployable(resource)
    try:
        dr_region = deps.settings.dr_region(body["location"])
    except ConfigurationError as exc:
        return [Finding(name, "no_dr_region", str(exc), f"set {exc.setting}")]
    found = deps.store.read_pointer(template_id)
    facts = source_facts(body, dr_region, deps)
    in_dr = True if facts.dr_copy_id else facts.in_dr_region
    return template_findings(
        TemplateFacts(
            template_id=name,
            body=body,
            content_hash=content_hash(body),
            pointer=found[0] if found else None,
            generation=source_generation(body, deps),
            source_in_dr_region=in_dr,
            dr_region=dr_region,
        )
    )
