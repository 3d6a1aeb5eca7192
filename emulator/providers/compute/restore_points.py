"""Restore point collections and restore points, including cross-region copy on the clock."""

from __future__ import annotations

from typing import Any

from emulator.core import Core, Request, Response, errors, normalize_location, type_of
from emulator.providers.compute import rp_copy
from emulator.providers.compute.common import (
    RG,
    RPCS,
    RPS,
    SUB,
    VMS,
    Body,
    deleted,
    expand,
    location_of,
    lro_accepted,
    options,
    set_state,
)
from emulator.providers.compute.throttle import throttle_vm_operation


def register(core: Core) -> None:
    """Add restore point collection and restore point routes."""
    collection = RG + "/restorePointCollections/{rpc}"
    point = collection + "/restorePoints/{rp}"
    core.router.add("GET", SUB + "/restorePointCollections", _list(core, by_rg=False))
    core.router.add("GET", RG + "/restorePointCollections", _list(core, by_rg=True))
    core.router.add("GET", collection, lambda req: Response.ok(_collection_view(core, req)))
    core.router.add("PUT", collection, lambda req: _put_collection(core, req))
    core.router.add("DELETE", collection, lambda req: _delete_collection(core, req))
    core.router.add("GET", point, lambda req: Response.ok(_point_view(core, req)))
    core.router.add("PUT", point, lambda req: _put_point(core, req))
    core.router.add("DELETE", point, lambda req: _delete_point(core, req))
    # Replication is observed on every read and clock advance (so an outage stalls it).
    core.types.register(RPS, refresh=lambda _body, meta, now: rp_copy.advance(core, meta, now))


def replication_percent(core: Core, point_id: str) -> int:
    """Return how far a restore point's disks have replicated (100 for local points)."""
    meta = core.store.meta(point_id)
    rp_copy.advance(core, meta, core.clock.now())
    seconds = rp_copy.replicated_seconds(meta)
    if seconds is None:
        return 100
    return int(min(100.0, seconds / 60 * options(core).replication_percent_per_minute))


def _list(core: Core, by_rg: bool) -> Any:
    def handler(req: Request) -> Response:
        scope = f"/subscriptions/{req.params['sub']}"
        if by_rg:
            scope += f"/resourceGroups/{req.params['rg']}"
        return core.paged(req, core.store.list(RPCS, scope))

    return handler


def _collection_view(core: Core, req: Request) -> Body:
    body = core.store.require(req.resource_id)
    if expand(req) == "restorepoints":
        body["properties"]["restorePoints"] = core.store.list(RPS, body["id"])
    return body


def _put_collection(core: Core, req: Request) -> Response:
    body = req.json_object()
    location = location_of(req, body)
    source_id = str(((body.get("properties") or {}).get("source") or {}).get("id") or "")
    if type_of(source_id).lower() not in (VMS.lower(), RPCS.lower()):
        raise errors.invalid_parameter(
            "Required parameter 'source.id' must be a virtual machine or a restore point "
            "collection id.",
            "properties.source.id",
        )
    source = core.store.get(source_id)
    if source is None:
        raise errors.ArmError(
            404, "NotFound", f"Resource '{source_id}' was not found.", target="source.id"
        )
    existing = core.store.get(req.resource_id)
    props = {
        "source": {"location": normalize_location(source["location"]), "id": source["id"]},
        "restorePointCollectionId": (existing or {})
        .get("properties", {})
        .get("restorePointCollectionId", core.new_guid()),
        "provisioningState": "Succeeded",
    }
    stored = core.store.put(
        {
            "id": req.resource_id,
            "location": location,
            **({"tags": body["tags"]} if body.get("tags") is not None else {}),
            "properties": props,
        }
    )
    # Not an LRO: the SDK accepts only a synchronous 200/201 here.
    return Response(200 if existing else 201, stored)


def _delete_collection(core: Core, req: Request) -> Response:
    for point in core.store.list(RPS, req.resource_id):
        core.store.delete(point["id"])
    return deleted(core, req, "operations")


def _delete_point(core: Core, req: Request) -> Response:
    parent = core.store.get(req.resource_id[: req.resource_id.lower().rindex("/restorepoints/")])
    return deleted(core, req, "operations", (parent or {}).get("location"))


def _point_view(core: Core, req: Request) -> Body:
    body = core.store.require(req.resource_id)
    if expand(req) == "instanceview":
        body["properties"]["instanceView"] = rp_copy.instance_view(
            core, body, replication_percent(core, body["id"])
        )
    return body


def _put_point(core: Core, req: Request) -> Response:
    parent_id = req.resource_id[: req.resource_id.lower().rindex("/restorepoints/")]
    collection = core.store.get(parent_id)
    if collection is None:
        raise errors.ArmError(
            404,
            "ParentResourceNotFound",
            "Can not perform requested operation on nested resource. Parent resource "
            f"'{parent_id.rsplit('/', 1)[-1]}' not found.",
        )
    if core.store.exists(req.resource_id):
        raise errors.conflict(
            "Conflict", f"Restore point '{req.resource_id.rsplit('/', 1)[-1]}' already exists."
        )
    body = req.body if isinstance(req.body, dict) else {}
    props_in = body.get("properties") or {}
    source_point = (props_in.get("sourceRestorePoint") or {}).get("id")
    if not source_point:
        vm_id = str(collection["properties"]["source"]["id"])
        vm_name = vm_id.rsplit("/", 1)[-1]
        throttle_vm_operation(
            core, req.subscription, collection["location"], vm_name, "restorePoint"
        )
    if source_point:
        props, meta = rp_copy.copy_point(core, req.resource_id, collection, str(source_point))
    else:
        props, meta = rp_copy.new_point(core, req.resource_id, collection, props_in)
    stored = core.store.put({"id": req.resource_id, "properties": props}, meta)
    rid = stored["id"]

    def finish() -> None:
        set_state(core, rid, "Succeeded")

    # Real ARM: 201 + Azure-AsyncOperation only; the SDK whitelists 201 alone.
    return lro_accepted(
        core, req, collection["location"], stored, finish, status=201, with_location=False
    )
