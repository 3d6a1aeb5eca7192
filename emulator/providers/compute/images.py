"""Managed images: create from snapshots, managed disks or VHD blobs; get, update, list, delete."""

from __future__ import annotations

from typing import Any

from emulator.core import Core, Request, Response, errors
from emulator.providers.compute.common import (
    DISKS,
    IMAGES,
    RG,
    SNAPSHOTS,
    SUB,
    Body,
    deleted,
    location_of,
    lro_accepted,
    require_type,
    same_region,
    set_state,
)

_SOURCES = (("snapshot", SNAPSHOTS), ("managedDisk", DISKS))


def register(core: Core) -> None:
    """Add managed image routes."""
    item = RG + "/images/{image}"
    core.router.add("GET", SUB + "/images", _list(core, by_rg=False))
    core.router.add("GET", RG + "/images", _list(core, by_rg=True))
    core.router.add("GET", item, lambda req: Response.ok(core.store.require(req.resource_id)))
    core.router.add("PUT", item, lambda req: _put(core, req))
    core.router.add("PATCH", item, lambda req: _patch(core, req))
    core.router.add("DELETE", item, lambda req: deleted(core, req, "operations"))


def _list(core: Core, by_rg: bool) -> Any:
    def handler(req: Request) -> Response:
        scope = f"/subscriptions/{req.params['sub']}"
        if by_rg:
            scope += f"/resourceGroups/{req.params['rg']}"
        return core.paged(req, core.store.list(IMAGES, scope))

    return handler


def _disk_source(core: Core, entry: Body, location: str, target: str) -> tuple[str, int]:
    """Validate one image disk entry; return (content id, size GB)."""
    for key, kind in _SOURCES:
        ref = entry.get(key)
        if isinstance(ref, dict) and ref.get("id"):
            source_id = "/" + str(ref["id"]).lstrip("/")
            ref["id"] = source_id
            source = require_type(core, source_id, kind, f"{target}.{key}.id")
            same_region(source, location, f"{target}.{key}.id")
            size = int(source.get("properties", {}).get("diskSizeGB") or 30)
            content = core.store.meta(source["id"]).get("content_id", source_id.lower())
            return str(content), size
    if entry.get("blobUri"):
        return str(entry["blobUri"]).split("?")[0].lower(), int(entry.get("diskSizeGB") or 30)
    raise errors.invalid_parameter(
        "One of 'snapshot', 'managedDisk' or 'blobUri' must be specified.", target
    )


def _storage(core: Core, body: Body, location: str) -> tuple[Body, str]:
    props = body.get("properties") or {}
    storage = dict(props.get("storageProfile") or {})
    os_disk = dict(storage.get("osDisk") or {})
    if not os_disk:
        raise errors.invalid_parameter(
            "Required parameter 'storageProfile.osDisk' is missing (null).",
            "properties.storageProfile.osDisk",
        )
    for key in ("osType", "osState"):
        if not os_disk.get(key):
            raise errors.invalid_parameter(
                f"Required parameter 'osDisk.{key}' is missing (null).",
                f"properties.storageProfile.osDisk.{key}",
            )
    content, size = _disk_source(core, os_disk, location, "properties.storageProfile.osDisk")
    os_disk.setdefault("caching", "None")
    os_disk.setdefault("storageAccountType", "Standard_LRS")
    os_disk["diskSizeGB"] = os_disk.get("diskSizeGB") or size
    data_disks = []
    for index, disk in enumerate(storage.get("dataDisks") or []):
        entry = dict(disk)
        _, data_size = _disk_source(core, entry, location, f"dataDisks[{index}]")
        entry.setdefault("caching", "None")
        entry.setdefault("storageAccountType", "Standard_LRS")
        entry["diskSizeGB"] = entry.get("diskSizeGB") or data_size
        data_disks.append(entry)
    storage.update(osDisk=os_disk, dataDisks=data_disks)
    storage.setdefault("zoneResilient", False)
    return storage, content


def _check_same_source(existing: Body, storage: Body) -> None:
    old = existing["properties"]["storageProfile"]["osDisk"]
    for key in ("snapshot", "managedDisk", "blobUri"):
        if str(old.get(key, "")).lower() != str(storage["osDisk"].get(key, "")).lower():
            raise errors.bad_request(
                "BadRequest",
                f"Changing property 'osDisk.{key}' is not allowed for existing image "
                f"'{existing['name']}'.",
            )


def _put(core: Core, req: Request) -> Response:
    body = req.json_object()
    location = location_of(req, body)
    existing = core.store.get(req.resource_id)
    storage, content = _storage(core, body, location)
    props = body.get("properties") or {}
    if existing is not None:
        _check_same_source(existing, storage)
    stored = core.store.put(
        {
            "id": req.resource_id,
            "location": location,
            **({"tags": body["tags"]} if body.get("tags") is not None else {}),
            "properties": {
                "storageProfile": storage,
                "provisioningState": "Updating" if existing else "Creating",
                "hyperVGeneration": props.get("hyperVGeneration", "V1"),
                **(
                    {"sourceVirtualMachine": props["sourceVirtualMachine"]}
                    if props.get("sourceVirtualMachine")
                    else {}
                ),
            },
        },
        {"content_id": content},
    )
    return _accepted(core, req, stored, 200 if existing else 201)


def _accepted(core: Core, req: Request, stored: Body, status: int) -> Response:
    rid = stored["id"]

    def finish() -> None:
        set_state(core, rid, "Succeeded")

    # Real ARM answers image writes with Azure-AsyncOperation only (no Location).
    return lro_accepted(
        core, req, stored["location"], stored, finish, status=status, with_location=False
    )


def _patch(core: Core, req: Request) -> Response:
    existing = core.store.require(req.resource_id)
    patch = req.json_object()
    if patch.get("tags") is not None:
        existing["tags"] = patch["tags"]
    existing["properties"]["provisioningState"] = "Updating"
    return _accepted(core, req, core.store.put(existing), 200)
