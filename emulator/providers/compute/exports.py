"""Disk/snapshot beginGetAccess, endGetAccess and delete, plus the derived diskState."""

from __future__ import annotations

from typing import Any

from emulator.core import Core, Request, Response, errors
from emulator.providers.compute import access
from emulator.providers.compute.common import Body, lro_accepted

SEGMENT = "DiskOperations"
_ACCESS = {"read": "Read", "write": "Write"}


def refresh_state(core: Core, body: Body, meta: dict[str, Any]) -> None:
    """Derive diskState from SAS export and VM attachment (disks follow their VM's power)."""
    props = body.setdefault("properties", {})
    if props.get("diskState") in ("ReadyToUpload", "ActiveUpload"):
        return
    if meta.get("sas_blob"):
        props["diskState"] = "ActiveSAS"
    elif body.get("managedBy"):
        power = core.store.meta(body["managedBy"]).get("power", "running")
        props["diskState"] = "Reserved" if power == "deallocated" else "Attached"
    else:
        props["diskState"] = "Unattached"


def _kind_word(body: Body) -> str:
    return "Disk" if body["type"].lower().endswith("/disks") else "Snapshot"


def _check_exportable(core: Core, body: Body) -> None:
    props = body["properties"]
    word, name = _kind_word(body), body["name"]
    if props.get("provisioningState") != "Succeeded":
        raise errors.conflict(
            "OperationNotAllowed",
            f"{word} '{name}' is in provisioning state '{props.get('provisioningState')}'; "
            "access can be granted once it is 'Succeeded'.",
        )
    if props.get("diskState") == "Attached":
        raise errors.conflict(
            "OperationNotAllowed",
            f"{word} '{name}' is attached to running VM '{body.get('managedBy')}'. "
            "Stop (deallocate) the VM before granting access.",
        )
    percent = props.get("completionPercent")
    if percent is not None and float(percent) < 100:
        raise errors.conflict(
            "OperationNotAllowed",
            f"{word} '{name}' is still being copied ({percent}% complete); "
            "access can be granted once completionPercent reaches 100.",
        )


def _grant_data(data: Body) -> tuple[str, int]:
    """Return (access mode, duration seconds) of GrantAccessData; raise 400 when invalid."""
    mode = _ACCESS.get(str(data.get("access", "")).lower())
    if mode is None:
        raise errors.invalid_parameter(
            f"The value '{data.get('access')}' of parameter 'access' is not valid; "
            "use 'Read' or 'Write'.",
            "grantAccessData.access",
        )
    seconds = data.get("durationInSeconds")
    if not isinstance(seconds, int) or seconds <= 0:
        raise errors.invalid_parameter(
            "Required parameter 'durationInSeconds' is missing or not a positive integer.",
            "grantAccessData.durationInSeconds",
        )
    return mode, seconds


def grant(core: Core, req: Request) -> Response:
    """POST beginGetAccess: 202 + AAO + Location; the Location GET returns {"accessSAS"}."""
    body = core.store.require(req.resource_id.rsplit("/", 1)[0])
    mode, seconds = _grant_data(req.json_object())
    _check_exportable(core, body)
    rid = body["id"]

    def finish() -> Body:
        meta = core.store.meta(rid)
        blob = meta.get("sas_blob") or f"{body['properties']['uniqueId']}.vhd"
        url = access.export(core, blob, meta.get("content_id", ""), mode == "Write", seconds)
        meta["sas_blob"] = blob
        return {"accessSAS": url}

    return lro_accepted(
        core,
        req,
        body["location"],
        None,
        finish,
        segment=SEGMENT,
        output_in_status=True,
        location_body=True,
    )


def revoke(core: Core, req: Request) -> Response:
    """POST endGetAccess: 202 + AAO + Location; the Location GET returns 200, empty."""
    body = core.store.require(req.resource_id.rsplit("/", 1)[0])
    rid = body["id"]

    def finish() -> None:
        meta = core.store.meta(rid)
        blob = meta.pop("sas_blob", None)
        if blob:
            access.revoke(core, blob)

    return lro_accepted(core, req, body["location"], None, finish, segment=SEGMENT)


def delete(core: Core, req: Request) -> Response:
    """DELETE: 204 when already gone; 409 while attached or exported; else 202 + AAO."""
    body = core.store.get(req.resource_id)
    if body is None:
        return Response.no_content()
    word, name = _kind_word(body), body["name"]
    if body.get("managedBy"):
        raise errors.conflict(
            "OperationNotAllowed", f"{word} {name} is attached to VM {body['managedBy']}."
        )
    if core.store.meta(body["id"]).get("sas_blob"):
        raise errors.conflict(
            "OperationNotAllowed",
            f"{word} {name} has an active SAS URI (diskState 'ActiveSAS'); "
            "call endGetAccess before deleting it.",
        )
    rid = body["id"]

    def finish() -> None:
        core.store.delete(rid)

    return lro_accepted(core, req, body["location"], None, finish, segment=SEGMENT)
