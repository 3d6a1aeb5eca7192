"""The manual replication request (POST /api/images/replicate) as a typed, validated value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.arm_id import ResourceId
from shared.bodies import parse_json_object
from shared.errors import InvalidInput
from shared.regions import normalize_region

_FIELDS = ("templateId", "runOutputId", "artifactId")
_ALLOWED = {*_FIELDS, "dryRun", "region"}


@dataclass(frozen=True)
class ReplicateRequest:
    """Protect one build (template), one run output, or one artifact; `dry_run` only plans."""

    template_id: ResourceId | None = None
    run_output_id: ResourceId | None = None
    artifact_id: str | None = None
    region: str | None = None
    dry_run: bool = False


def _body(raw: bytes | str) -> Mapping[str, Any]:
    return parse_json_object(raw, _ALLOWED)


def _typed_id(value: object, field: str, full_type: str) -> ResourceId:
    rid = ResourceId.parse(value, field)
    if not rid.is_type(full_type):
        raise InvalidInput(field, f"expected a {full_type} id, got {rid.full_type or 'a group'}")
    return rid


def _artifact(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("artifactId", "expected an ARM id or a blob URL")
    text = value.strip()
    if text.lower().startswith(("http://", "https://")):
        if "?" in text:
            # A SAS in a request body ends up in logs and job records: refuse it.
            raise InvalidInput("artifactId", "give the blob URL without a query string or SAS")
        return text
    from shared.images.build_decision import kind_of

    kind_of(text, "artifactId")
    return str(ResourceId.parse(text, "artifactId"))


def parse_replicate_request(raw: bytes | str) -> ReplicateRequest:
    """Return the request: exactly one of templateId, runOutputId, artifactId; plus dryRun and
    region (for a VHD URL). Raises InvalidInput naming the field."""
    body = _body(raw)
    given = [f for f in _FIELDS if f in body]
    if len(given) != 1:
        raise InvalidInput("body", f"give exactly one of {', '.join(_FIELDS)}")
    dry_run = body.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise InvalidInput("dryRun", "expected true or false")
    region = normalize_region(body["region"], "region") if "region" in body else None
    field = given[0]
    if field == "templateId":
        template = _typed_id(body[field], field, "Microsoft.VirtualMachineImages/imageTemplates")
        return ReplicateRequest(template_id=template, region=region, dry_run=dry_run)
    if field == "runOutputId":
        output = _typed_id(
            body[field], field, "Microsoft.VirtualMachineImages/imageTemplates/runOutputs"
        )
        return ReplicateRequest(run_output_id=output, region=region, dry_run=dry_run)
    return ReplicateRequest(artifact_id=_artifact(body[field]), region=region, dry_run=dry_run)
