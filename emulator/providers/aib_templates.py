"""Image template bodies: validation, defaults, source checks and run-output rendering."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Any

from emulator.core import errors
from emulator.providers import gallery_replication as replication
from emulator.providers.locations import programmatic

Body = dict[str, Any]
TEMPLATE_TYPE = "Microsoft.VirtualMachineImages/imageTemplates"
RUN_OUTPUT_TYPE = "Microsoft.VirtualMachineImages/imageTemplates/runOutputs"
DISTRIBUTE_TYPES = {"ManagedImage": ("imageId", "location"), "SharedImage": ("galleryImageId",),
                    "VHD": ()}  # fmt: skip
SOURCE_TYPES = {"PlatformImage": ("publisher", "offer", "sku"), "ManagedImage": ("imageId",),
                "SharedImageVersion": ("imageVersionId",)}  # fmt: skip
UPDATABLE = {"vmProfile", "distribute"}
_RUN_OUTPUT_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_RG = re.compile(r"/resourcegroups/", re.IGNORECASE)


def aib_id(resource_id: str) -> str:
    """Return the id as Image Builder renders it (lower-case 'resourcegroups', as recorded)."""
    return _RG.sub("/resourcegroups/", resource_id, count=1)


def _invalid(message: str, target: str) -> errors.ArmError:
    return errors.invalid_parameter(message, target)


def check_identity(identity: Any) -> Body:
    """Return the identity with principal/client ids filled; raise 400 unless one UserAssigned."""
    if not isinstance(identity, dict) or identity.get("type") != "UserAssigned":
        raise _invalid("The image template requires a 'UserAssigned' identity.", "identity")
    assigned = identity.get("userAssignedIdentities") or {}
    if not isinstance(assigned, dict) or len(assigned) != 1:
        raise _invalid(
            "Exactly one user-assigned identity must be given for the image template.",
            "identity.userAssignedIdentities",
        )
    return {"type": "UserAssigned", "userAssignedIdentities": dict(assigned)}


def check_source(source: Any) -> None:
    """Raise 400 unless `source` has a known type and that type's required fields."""
    if not isinstance(source, dict) or source.get("type") not in SOURCE_TYPES:
        raise _invalid(
            "The source type must be one of PlatformImage, ManagedImage, SharedImageVersion.",
            "properties.source.type",
        )
    for field in SOURCE_TYPES[source["type"]]:
        if not source.get(field):
            raise _invalid(f"The source requires '{field}'.", f"properties.source.{field}")


def check_distribute(distribute: Any) -> list[Body]:
    """Return the distribute list; raise 400 for a missing, unknown or duplicate target."""
    if not isinstance(distribute, list) or not distribute:
        raise _invalid("At least one distribute target is required.", "properties.distribute")
    seen: set[str] = set()
    for index, target in enumerate(distribute):
        where = f"properties.distribute[{index}]"
        if not isinstance(target, dict) or target.get("type") not in DISTRIBUTE_TYPES:
            raise _invalid("The distribute type must be ManagedImage, SharedImage or VHD.", where)
        name = target.get("runOutputName")
        if not isinstance(name, str) or not _RUN_OUTPUT_NAME.match(name):
            raise _invalid("A valid runOutputName is required.", f"{where}.runOutputName")
        if name.lower() in seen:
            raise _invalid(f"The runOutputName '{name}' is used twice.", f"{where}.runOutputName")
        seen.add(name.lower())
        for field in DISTRIBUTE_TYPES[target["type"]]:
            if not target.get(field):
                raise _invalid(f"The {target['type']} distributor requires '{field}'.", where)
    return [dict(t) for t in distribute]


def _checksummed(customizer: Any) -> Any:
    """AIB adds sha256Checksum to script customizers; the emulator hashes the URI text itself."""
    if not isinstance(customizer, dict):
        return customizer
    uri = customizer.get("scriptUri") or customizer.get("sourceUri")
    if isinstance(uri, str) and uri and not customizer.get("sha256Checksum"):
        return {**customizer, "sha256Checksum": hashlib.sha256(uri.encode()).hexdigest()}
    return dict(customizer)


def build(rid: str, body: Body, location: str, staging: str, new_guid: Callable[[], str]) -> Body:
    """Return the stored template for a PUT body (provisioningState Creating)."""
    props = body.get("properties")
    if not isinstance(props, dict):
        raise _invalid("The image template properties are required.", "properties")
    check_source(props.get("source"))
    identity = check_identity(body.get("identity"))
    for details in identity["userAssignedIdentities"].values():
        details.setdefault("principalId", new_guid())
        details.setdefault("clientId", new_guid())
    stored = {k: v for k, v in props.items() if k not in {"provisioningState", "lastRunStatus"}}
    stored["distribute"] = check_distribute(props.get("distribute"))
    stored["customize"] = [_checksummed(c) for c in props.get("customize") or []]
    stored.setdefault("buildTimeoutInMinutes", 0)
    stored["vmProfile"] = {"vmSize": "", "osDiskSizeGB": 0, **(props.get("vmProfile") or {})}
    stored["provisioningState"] = "Creating"
    stored["exactStagingResourceGroup"] = staging
    return {
        "id": aib_id(rid), "type": TEMPLATE_TYPE, "location": location,
        "tags": dict(body.get("tags") or {}), "identity": identity, "properties": stored,
    }  # fmt: skip


def normalize(body: Body) -> Body:
    """Seed defaults: lower-case 'resourcegroups' id, staging group, vmProfile, Succeeded."""
    body["id"] = aib_id(body["id"])
    props = body.setdefault("properties", {})
    parts = body["id"].split("/")
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, body["id"].lower()))
    props.setdefault(
        "exactStagingResourceGroup", staging_group(parts[2], parts[4], parts[-1], props, guid)
    )
    props["vmProfile"] = {"vmSize": "", "osDiskSizeGB": 0, **(props.get("vmProfile") or {})}
    props.setdefault("buildTimeoutInMinutes", 0)
    props.setdefault("provisioningState", "Succeeded")
    return body


def staging_group(sub: str, rg: str, name: str, props: Body, guid: str) -> str:
    """Return exactStagingResourceGroup: the given one, else AIB's IT_<rg>_<name>_<guid>."""
    given = props.get("stagingResourceGroup")
    if isinstance(given, str) and given:
        return given
    return f"/subscriptions/{sub}/resourceGroups/IT_{rg}_{name}_{guid}"


def source_problem(template: Body, lookup: Callable[[str], Body | None],
                   meta_of: Callable[[str], Body]) -> tuple[str, str] | None:  # fmt: skip
    """Return (provisioningErrorCode, message) when the source cannot be used, else None."""
    source = template["properties"]["source"]
    region = programmatic(template["location"])
    if source["type"] == "ManagedImage":
        image = lookup(source["imageId"])
        if image is None or programmatic(image.get("location") or "") != region:
            return "BadManagedImageSource", (
                f"The managed image source '{source['imageId']}' was not found in the "
                f"template's region '{region}'; it must be in the same subscription and region."
            )
    if source["type"] == "SharedImageVersion":
        version = lookup(source["imageVersionId"])
        if version is None or not replication.completed_in(
            meta_of(source["imageVersionId"]), region
        ):
            return "BadSharedImageVersionSource", (
                f"The image version source '{source['imageVersionId']}' is not available in the "
                f"template's region '{region}'; replicate it there first."
            )
    return None


def apply_update(template: Body, patch: Body) -> Body:
    """Return the template after a PATCH (tags, identity, vmProfile, distribute); 400 otherwise."""
    out = dict(template)
    if "tags" in patch:
        out["tags"] = dict(patch.get("tags") or {})
    if patch.get("identity") is not None:
        out["identity"] = check_identity(patch["identity"])
    props = patch.get("properties") or {}
    unknown = set(props) - UPDATABLE
    if unknown:
        field = sorted(unknown)[0]
        raise _invalid(
            f"The property 'properties.{field}' cannot be updated; delete and recreate the "
            "template (or use a new name).",
            f"properties.{field}",
        )
    new_props = dict(out["properties"])
    if "vmProfile" in props:
        new_props["vmProfile"] = {**new_props.get("vmProfile", {}), **(props["vmProfile"] or {})}
    if "distribute" in props:
        new_props["distribute"] = check_distribute(props["distribute"])
    out["properties"] = new_props
    return out


def run_output(template_id: str, output: Body) -> Body:
    """Return a RunOutput resource body for one distribute target's result."""
    props: Body = {"provisioningState": output["provisioningState"]}
    for key in ("artifactId", "artifactUri"):
        if output.get(key):
            props[key] = output[key]
    return {"id": f"{aib_id(template_id)}/runOutputs/{output['name']}", "name": output["name"],
            "type": RUN_OUTPUT_TYPE, "properties": props}  # fmt: skip
