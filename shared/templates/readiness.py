"""Pure readiness rules for templates: Hyper-V generation, backup freshness, DR-region source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.templates.backup import Pointer


@dataclass(frozen=True)
class Finding:
    """One readiness finding about one template: a stable code, what is wrong, what to do."""

    template_id: str
    code: str
    message: str
    recommendation: str

    def to_dict(self) -> dict[str, str]:
        """Return the finding as a JSON-ready dict."""
        return {
            "templateId": self.template_id,
            "code": self.code,
            "message": self.message,
            "recommendation": self.recommendation,
        }


@dataclass(frozen=True)
class TemplateFacts:
    """What the service looked up about one template for the readiness rules."""

    template_id: str
    body: Mapping[str, Any]
    content_hash: str
    pointer: Pointer | None
    generation: int | None
    source_in_dr_region: bool | None
    dr_region: str
    backup_damage: str | None = None  # why the pointer blob could not be read


def hyperv_generation(value: object) -> int | None:
    """Return 1 or 2 for a `hyperVGeneration` value ("V1"/"V2"), None when absent or unknown."""
    text = str(value or "").strip().upper()
    return {"V1": 1, "V2": 2}.get(text)


def _generation(facts: TemplateFacts) -> list[Finding]:
    source = (facts.body.get("properties") or {}).get("source") or {}
    what = source.get("sku") or source.get("imageVersionId") or source.get("imageId") or "?"
    if facts.generation is None and _has_image(source):
        return [
            Finding(
                facts.template_id,
                "hyperv_unknown",
                f"the Hyper-V generation of the source image {what} is unknown: Azure did not "
                "report it (the image could not be read, or it has no hyperVGeneration)",
                "check that the source image exists in the template's region and that Lifeboat "
                "may read it; prefer a generation 2 image",
            )
        ]
    if facts.generation != 1:
        return []
    return [
        Finding(
            facts.template_id,
            "hyperv_gen1",
            f"the source image {what} is Hyper-V generation 1",
            "build from a generation 2 image, as Microsoft's Image Builder reliability guidance "
            "recommends (gen 2 supports Trusted Launch and newer VM sizes)",
        )
    ]


def _has_image(source: Mapping[str, Any]) -> bool:
    """True for the source types whose generation Azure reports (platform, gallery, managed)."""
    kind = str(source.get("type", "")).lower()
    return kind in {"platformimage", "sharedimageversion", "managedimage"}


def _backup(facts: TemplateFacts) -> list[Finding]:
    if facts.backup_damage is not None:
        action = "POST /api/templates/backup for this template: the new backup replaces the pointer"
        return [Finding(facts.template_id, "backup_damaged", facts.backup_damage, action)]
    if facts.pointer is None:
        message = "the template has no backup in DR storage"
    elif facts.pointer.content_hash != facts.content_hash:
        message = (
            f"the latest backup ({facts.pointer.captured_at.isoformat()}) is older than the "
            "template's last change"
        )
    else:
        return []
    code = "backup_missing" if facts.pointer is None else "backup_stale"
    action = "POST /api/templates/backup, or wait for the daily reconcile sweep"
    return [Finding(facts.template_id, code, message, action)]


def _source(facts: TemplateFacts) -> list[Finding]:
    if facts.source_in_dr_region is not False:
        return []
    return [
        Finding(
            facts.template_id,
            "source_not_in_dr_region",
            f"the source image is not available in the DR region {facts.dr_region}",
            "replicate the source image version to the DR region (or protect it with image "
            "DR), or build from a platform image",
        )
    ]


def template_findings(facts: TemplateFacts) -> list[Finding]:
    """Return every readiness finding for one template (empty when it is ready)."""
    return [*_generation(facts), *_backup(facts), *_source(facts)]
