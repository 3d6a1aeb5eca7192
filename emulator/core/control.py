"""A tiny HTTP control API under /_emulator for a separately started emulator (demo, CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.core.router import Request, Response

if TYPE_CHECKING:
    from emulator.core.app import Core


def handle(core: Core, req: Request) -> Response:
    """Answer GET/POST /_emulator/<action>; raise ArmError 404 for unknown actions."""
    action = req.path[len("/_emulator") :].strip("/").lower()
    body: dict[str, Any] = req.body if isinstance(req.body, dict) else {}
    region = str(body.get("region") or req.arg("region") or "")
    if action == "clock" and req.method == "GET":
        return Response.ok({"now": core.clock.iso()})
    if action == "clock/advance" and req.method == "POST":
        seconds = float(body.get("seconds") or req.arg("seconds") or 0)
        return Response.ok({"now": core.clock.iso(core.clock.advance(seconds))})
    if action == "faults/region-down" and req.method == "POST":
        core.faults.region_down(region)
        return Response.no_content()
    if action == "faults/region-up" and req.method == "POST":
        core.faults.region_up(region)
        return Response.no_content()
    if action == "faults/clear" and req.method == "POST":
        core.faults.clear()
        return Response.no_content()
    if action == "reset" and req.method == "POST":
        core.reset()
        return Response.no_content()
    if action == "seed" and req.method == "POST":
        return Response.ok({"ids": core.seed(body)})
    if action == "resources" and req.method == "GET":
        return Response.ok({"value": core.store.all()})
    if action == "log" and req.method == "GET":
        return Response.ok({"value": [_entry(e) for e in core.log.entries()]})
    return _provider_action(core, req, action)


def _provider_action(core: Core, req: Request, action: str) -> Response:
    """Providers add their own control calls as routes under /_emulator/."""
    try:
        handler, req.params = core.router.resolve(req.method, req.path)
    except errors.ArmError:
        raise errors.ArmError(
            404, "NotFound", f"Unknown emulator control action '{action}'."
        ) from None
    return handler(req)


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "apiVersion": entry.api_version,
        "opType": entry.op_type,
        "time": entry.time.isoformat(),
        "fault": entry.fault,
        "errorCode": entry.error_code,
    }
