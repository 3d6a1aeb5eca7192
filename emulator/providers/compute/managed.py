"""Disks and snapshots: create (every supported createOption), update, get, list, delete."""

from __future__ import annotations

import uuid
from typing import Any

from emulator.core import Core, Request, Response, errors, type_of
from emulator.providers.compute import copystart, exports
from emulator.providers.compute.common import (
    DISKS,
    GIB,
    RG,
    SNAPSHOTS,
    SUB,
    VMS,
    Body,
    location_of,
    lro_accepted,
    merge,
    set_state,
)
from emulator.providers.compute.sources import Origin, resolve

SEGMENT = "DiskOperations"
_READ_ONLY = {
    "timeCreated",
    "provisioningState",
    "diskState",
    "diskSizeBytes",
    "uniqueId",
    "incrementalSnapshotFamilyId",
    "completionPercent",
    "copyCompletionError",
    "snapshotAccessState",
    "managedBy",
}
_TIERS = {"premium": "Premium", "ultra": "Ultra", "premiumv2": "Premium"}


def _tier(sku: str) -> str:
    return _TIERS.get(sku.split("_", maxsplit=1)[0].lower(), "Standard")


def _collection(kind: str) -> str:
    return kind.rsplit("/", maxsplit=1)[-1]


def register(core: Core) -> None:
    """Add disk and snapshot routes."""
    for kind in (DISKS, SNAPSHOTS):
        base = f"{RG}/{_collection(kind)}"
        item = base + "/{name}"
        core.router.add("GET", f"{SUB}/{_collection(kind)}", _list(core, kind, by_rg=False))
        core.router.add("GET", base, _list(core, kind, by_rg=True))
        core.router.add("GET", item, lambda req: Response.ok(core.store.require(req.resource_id)))
        core.router.add("PUT", item, _put(core, kind))
        core.router.add("PATCH", item, _patch(core))
        core.router.add("DELETE", item, lambda req: exports.delete(core, req))
        core.router.add("POST", item + "/beginGetAccess", lambda req: exports.grant(core, req))
        core.router.add("POST", item + "/endGetAccess", lambda req: exports.revoke(core, req))
        core.types.register(kind, normalize=_normalizer(core, kind), refresh=_refresher(core))


def _list(core: Core, kind: str, by_rg: bool) -> Any:
    def handler(req: Request) -> Response:
        scope = f"/subscriptions/{req.params['sub']}"
        if by_rg:
            scope += f"/resourceGroups/{req.params['rg']}"
        return core.paged(req, core.store.list(kind, scope))

    return handler


def _put(core: Core, kind: str) -> Any:
    def handler(req: Request) -> Response:
        body = req.json_object()
        location = location_of(req, body)
        existing = core.store.get(req.resource_id)
        if existing is not None:
            stored = _update_existing(core, existing, body, location)
        else:
            stored = _create(core, req, kind, body, location)
        return _accepted(core, req, stored, _echo(body, stored))

    return handler


def _echo(body: Body, stored: Body) -> Body:
    """The 202 body Azure sends: the request echoed with id/name/type and `Updating`."""
    echo = {k: stored[k] for k in ("name", "id", "type", "location")}
    echo.update({k: body[k] for k in ("tags", "sku", "zones") if k in body})
    echo["properties"] = {**(body.get("properties") or {}), "provisioningState": "Updating"}
    return echo


def _accepted(core: Core, req: Request, stored: Body, answer: Body | None = None) -> Response:
    rid = stored["id"]

    def finish() -> Body | None:
        return set_state(core, rid, "Succeeded")

    return lro_accepted(
        core,
        req,
        stored["location"],
        answer or stored,
        finish,
        segment=SEGMENT,
        output_in_status=True,
        retry_after=2,
    )


def _create(core: Core, req: Request, kind: str, body: Body, location: str) -> Body:
    props_in: Body = dict(body.get("properties") or {})
    creation: Body = dict(props_in.get("creationData") or {})
    option = str(creation.get("createOption"))
    _refuse_security_type(kind, props_in, option)
    origin = resolve(core, kind, location, creation)
    if option.lower() == "copystart":
        copystart.check_allowed(core, req, location, origin)
    props = _properties(core, kind, props_in, creation, origin)
    stored: Body = {
        "id": req.resource_id,
        "location": location,
        **({"tags": body["tags"]} if body.get("tags") is not None else {}),
        "sku": _sku(body, kind),
        "properties": props,
    }
    if body.get("zones"):
        stored["zones"] = body["zones"]
    meta = {"content_id": origin.content_id or props["uniqueId"]}
    if kind == SNAPSHOTS and props["incremental"]:
        props["incrementalSnapshotFamilyId"] = _family(core, origin, location, meta)
    if option.lower() == "copystart":
        copystart.start(core, stored, meta, origin)
    return core.store.put(stored, meta)


def _refuse_security_type(kind: str, props_in: Body, option: str) -> None:
    """A Copy disk inherits its source's security type; naming one is refused (Azure's text)."""
    security = (props_in.get("securityProfile") or {}).get("securityType")
    if kind == DISKS and security and option.lower() == "copy":
        raise errors.bad_request(
            "BadRequest",
            f"Security Type '{security}' is not supported for CreateOption 'Copy'. Supported "
            "create options are FromImage, Import, ImportSecure, UploadPreparedSecure.",
        )


def _properties(core: Core, kind: str, props_in: Body, creation: Body, origin: Origin) -> Body:
    size = props_in.get("diskSizeGB") or origin.size_gb
    if not size:
        raise errors.invalid_parameter(
            "Required parameter 'diskSizeGB' is missing (null).", "diskSizeGB"
        )
    if "sourceUri" in creation and str(creation.get("createOption")).lower() == "copy":
        creation["sourceResourceId"] = creation.pop("sourceUri")
    if origin.source_unique_id:
        creation["sourceUniqueId"] = origin.source_unique_id
    props: Body = {k: v for k, v in props_in.items() if k not in _READ_ONLY}
    props.update(
        creationData=creation,
        diskSizeGB=size,
        diskSizeBytes=int(size) * GIB,
        timeCreated=core.clock.iso(),
        provisioningState="Updating",
        diskState="Unattached",
        uniqueId=core.new_guid(),
    )
    props.setdefault("encryption", {"type": "EncryptionAtRestWithPlatformKey"})
    props.setdefault("networkAccessPolicy", "AllowAll")
    props.setdefault("publicNetworkAccess", "Enabled")
    for key, value in (("osType", origin.os_type), ("hyperVGeneration", origin.hyper_v)):
        if value and key not in props:
            props[key] = value
    if origin.security and str(creation.get("createOption")).lower() in ("copy", "copystart"):
        props["securityProfile"] = dict(origin.security)
    if kind == SNAPSHOTS:
        props["incremental"] = bool(props_in.get("incremental", False))
    else:
        props.setdefault("diskIOPSReadWrite", 500)
        props.setdefault("diskMBpsReadWrite", 60)
    return props


def _sku(body: Body, kind: str) -> Body:
    name = str((body.get("sku") or {}).get("name") or "Standard_LRS")
    return {"name": name, "tier": _tier(name)}


def _family(core: Core, origin: Origin, location: str, meta: Body) -> str:
    source = origin.source or {}
    props = source.get("properties", {})
    family = props.get("incrementalSnapshotFamilyId")
    if family is None and source:
        family = copystart.disk_family(source["id"])
    if family is None:
        family = core.new_guid()
    if source and source.get("location") != location:
        # A cross-region copy chain gets its own family in the target region.
        return str(uuid.uuid5(uuid.UUID(family), location))
    return str(family)


def _update_existing(core: Core, existing: Body, body: Body, location: str) -> Body:
    name = existing["name"]
    if location != existing.get("location"):
        raise errors.bad_request(
            "BadRequest", f"Changing property 'location' is not allowed for existing disk '{name}'."
        )
    old = existing["properties"].get("creationData", {})
    new = (body.get("properties") or {}).get("creationData") or {}
    for key in ("createOption", "sourceResourceId", "sourceUri", "storageAccountId"):
        if key in new and str(new[key]).lower() != str(old.get(key, new[key])).lower():
            raise errors.bad_request(
                "BadRequest",
                f"Changing property '{key}' is not allowed for existing disk '{name}'.",
            )
    return _apply_patch(core, existing, body)


def _apply_patch(core: Core, existing: Body, patch: Body) -> Body:
    props_in = {
        k: v
        for k, v in (patch.get("properties") or {}).items()
        if k not in _READ_ONLY and k != "creationData"
    }
    size = props_in.get("diskSizeGB")
    if size is not None and int(size) < int(existing["properties"]["diskSizeGB"]):
        raise errors.bad_request(
            "BadRequest",
            f"Disk size cannot be reduced from {existing['properties']['diskSizeGB']} GB "
            f"to {size} GB for disk '{existing['name']}'.",
        )
    updated = merge(existing, {"properties": props_in})
    if size is not None:
        updated["properties"]["diskSizeBytes"] = int(size) * GIB
    if patch.get("tags") is not None:
        updated["tags"] = patch["tags"]
    if patch.get("sku"):
        updated["sku"] = _sku(patch, existing["type"])
    updated["properties"]["provisioningState"] = "Updating"
    return core.store.put(updated)


def _patch(core: Core) -> Any:
    def handler(req: Request) -> Response:
        existing = core.store.require(req.resource_id)
        return _accepted(core, req, _apply_patch(core, existing, req.json_object()))

    return handler


def _normalizer(core: Core, kind: str) -> Any:
    def normalize(body: Body) -> Body:
        props = body.setdefault("properties", {})
        size = int(props.setdefault("diskSizeGB", 30))
        props.setdefault("diskSizeBytes", size * GIB)
        props.setdefault("creationData", {"createOption": "Empty"})
        props.setdefault("provisioningState", "Succeeded")
        props.setdefault("diskState", "Unattached")
        props.setdefault("timeCreated", core.clock.iso())
        props.setdefault("uniqueId", core.new_guid())
        props.setdefault("encryption", {"type": "EncryptionAtRestWithPlatformKey"})
        body.setdefault("sku", {"name": "Standard_LRS", "tier": "Standard"})
        if kind == SNAPSHOTS:
            props.setdefault("incremental", False)
            if props["incremental"]:
                props.setdefault("incrementalSnapshotFamilyId", _seeded_family(core, props))
        core.store.meta(body["id"]).setdefault("content_id", props["uniqueId"])
        if kind == DISKS and not body.get("managedBy"):
            body.update(_attached_vm(core, body["id"]))
        return body

    return normalize


def _seeded_family(core: Core, props: Body) -> str:
    """A seeded incremental snapshot joins its source disk's family (or its source snapshot's)."""
    source_id = str((props.get("creationData") or {}).get("sourceResourceId") or "")
    if type_of(source_id).lower() == DISKS.lower():
        return copystart.disk_family(source_id)
    source = core.store.get(source_id) if source_id else None
    family = (source or {}).get("properties", {}).get("incrementalSnapshotFamilyId")
    return str(family) if family else core.new_guid()


def _attached_vm(core: Core, disk_id: str) -> Body:
    subscription = disk_id.split("/")[2]
    for vm in core.store.list(VMS, f"/subscriptions/{subscription}"):
        storage = vm.get("properties", {}).get("storageProfile", {})
        for entry in [storage.get("osDisk") or {}, *storage.get("dataDisks", [])]:
            if str(entry.get("managedDisk", {}).get("id", "")).lower() == disk_id.lower():
                return {"managedBy": vm["id"]}
    return {}


def _refresher(core: Core) -> Any:
    def refresh(body: Body, meta: dict[str, Any], now: Any) -> None:
        exports.refresh_state(core, body, meta)
        copystart.refresh(core, body, meta, now)

    return refresh
