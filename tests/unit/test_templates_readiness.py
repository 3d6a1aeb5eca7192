"""Pure readiness rules: Hyper-V generation from metadata, backup freshness, DR-region source."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.templates.backup import Pointer
from shared.templates.readiness import (
    TemplateFacts,
    hyperv_generation,
    template_findings,
)

TID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [("V1", 1), ("v2", 2), (None, None), ("x", None)])
def test_hyperv_generation_values(value: object, expected: int | None) -> None:
    assert hyperv_generation(value) == expected


def facts(**changes: Any) -> TemplateFacts:
    base: dict[str, Any] = {
        "template_id": TID,
        "body": {"properties": {"source": {"type": "PlatformImage", "sku": "18.04-LTS"}}},
        "content_hash": "a" * 64,
        "pointer": Pointer(TID, "a" * 64, T0, "v"),
        "generation": 2,
        "source_in_dr_region": None,
        "dr_region": "westus",
    }
    return TemplateFacts(**(base | changes))


def codes(f: TemplateFacts) -> list[str]:
    return [finding.code for finding in template_findings(f)]


def test_a_ready_template_has_no_findings() -> None:
    assert codes(facts()) == []


def test_generation_one_source_recommends_generation_two() -> None:
    [finding] = template_findings(facts(generation=1))
    assert finding.code == "hyperv_gen1"
    assert "18.04-LTS" in finding.message and "generation 2" in finding.recommendation


def test_an_unknown_generation_is_said_to_be_unknown_never_guessed() -> None:
    [finding] = template_findings(facts(generation=None))
    assert finding.code == "hyperv_unknown" and "unknown" in finding.message
    assert codes(facts(generation=None, body={"properties": {"source": {"type": "Other"}}})) == []


def test_missing_and_stale_backups_are_findings() -> None:
    assert codes(facts(pointer=None)) == ["backup_missing"]
    assert codes(facts(content_hash="b" * 64)) == ["backup_stale"]


def test_source_not_in_the_dr_region_is_a_finding_but_unknown_is_not() -> None:
    assert codes(facts(source_in_dr_region=False)) == ["source_not_in_dr_region"]
    assert codes(facts(source_in_dr_region=True)) == []


def test_findings_serialise_with_the_template_id() -> None:
    [finding] = template_findings(facts(pointer=None))
    assert finding.to_dict()["templateId"] == TID


def test_a_damaged_pointer_is_its_own_finding_not_a_missing_backup() -> None:
    [finding] = template_findings(facts(pointer=None, backup_damage="latest.json is damaged"))
    assert finding.code == "backup_damaged" and finding.message == "latest.json is damaged"
    assert "POST /api/templates/backup" in finding.recommendation
