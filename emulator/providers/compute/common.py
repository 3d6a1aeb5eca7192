"""Shared pieces of the Compute provider: options, route prefixes, LRO answers, validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.core import Core, Request, Response, errors, normalize_location, type_of

Body = dict[str, Any]
RG = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute"
SUB = "/subscriptions/{sub}/providers/Microsoft.Compute"

DISKS = "Microsoft.Compute/disks"
SNAPSHOTS = "Microsoft.Compute/snapshots"
IMAGES = "Microsoft.Compute/images"
VMS = "Microsoft.Compute/virtualMachines"
RPCS = "Microsoft.Compute/restorePointCollections"
RPS = "Microsoft.Compute/restorePointCollections/restorePoints"
GALLERY_VERSIONS = "Microsoft.Compute/galleries/images/versions"

GIB = 1024**3


@dataclass
class ComputeOptions:
    """Knobs tests turn (reset on arm.reset()); reach them as `arm.compute`."""

    lro_polls: int = 1
    copy_percent_per_minute: float = 10.0
    replication_percent_per_minute: float = 20.0
    max_copies_per_region: int = 100
    failing_copies: set[str] = field(default_factory=set)
    sas_blob_bytes: int | None = None
    # (status, code) of CopyStart copy-limit refusals; Azure's real answer is undocumented.
    copy_refusal: tuple[int, str] = (409, "OperationNotAllowed")

    def fail_copy(self, snapshot_id: str) -> None:
        """Make the CopyStart of `snapshot_id` end with copyCompletionError CopySourceNotFound."""
        self.failing_copies.add(snapshot_id.lower())

    def refuse_copies_with(self, status: int = 409, code: str = "OperationNotAllowed") -> None:
        """Answer CopyStart copy-limit refusals with `status` and `code` (same message)."""
        self.copy_refusal = (status, code)

    def reset(self) -> None:
        """Back to defaults."""
        fresh = ComputeOptions()
        self.__dict__.update(fresh.__dict__)


def options(core: Core) -> ComputeOptions:
    """Return the compute options stored on the core."""
    opts: ComputeOptions = core.extensions["compute"]
    return opts


def location_of(req: Request, body: Body) -> str:
    """Return the normalised `location` of a PUT body; raise 400 when missing."""
    location = body.get("location")
    if not isinstance(location, str) or not location.strip():
        raise errors.ArmError(
            400, "LocationRequired", "The location property is required for this definition."
        )
    return normalize_location(location)


def require_type(core: Core, resource_id: str, type_: str, target: str) -> Body:
    """Return the stored resource of `type_`; raise 400 InvalidParameter naming `target`."""
    if not resource_id or type_of(resource_id).lower() != type_.lower():
        kind = type_.rsplit("/", maxsplit=1)[-1]
        raise errors.invalid_parameter(
            f"Resource id '{resource_id}' is not a valid {kind} id.", target
        )
    found = core.store.get(resource_id)
    if found is None:
        raise errors.ArmError(
            404,
            "NotFound",
            f"Resource '{resource_id}' was not found.",
            target=target,
        )
    return found


def same_region(source: Body, location: str, target: str) -> None:
    """Raise 400 InvalidParameter unless `source` lives in `location`."""
    if normalize_location(source.get("location", "")) != location:
        raise errors.invalid_parameter(
            f"The source resource '{source['id']}' is in location '{source.get('location')}' "
            f"but the resource being created is in '{location}'. Sources must be in the same "
            "location; use CopyStart to copy across regions.",
            target,
        )


def lro_accepted(
    core: Core,
    req: Request,
    location: str,
    body: Body | None,
    on_done: Callable[[], Any] | None,
    *,
    status: int = 202,
    segment: str = "operations",
    with_location: bool = True,
    output_in_status: bool = False,
    location_body: bool = False,
    retry_after: int | None = None,
) -> Response:
    """Start an op and answer `status` with Azure-AsyncOperation (and Location) headers."""
    op = core.lro.begin(
        req,
        location,
        segment=segment,
        polls=options(core).lro_polls,
        on_done=on_done,
        output_in_status=output_in_status,
        location_body=location_body,
    )
    headers = op.headers(aao=True, location=with_location, retry_after=retry_after)
    return Response(status, body, headers)


def deleted(core: Core, req: Request, segment: str, location: str | None = None) -> Response:
    """DELETE: 204 when already gone, else 202 + AAO + Location and remove on completion."""
    existing = core.store.get(req.resource_id)
    if existing is None:
        return Response.no_content()

    def finish() -> None:
        core.store.delete(req.resource_id)

    region = location or existing.get("location", "")
    return lro_accepted(core, req, region, None, finish, segment=segment)


def set_state(core: Core, resource_id: str, state: str) -> Body | None:
    """Set properties.provisioningState of a stored resource; return it (None if gone)."""
    current = core.store.get(resource_id)
    if current is None:
        return None
    current.setdefault("properties", {})["provisioningState"] = state
    return core.store.put(current)


def merge(target: Body, patch: Body) -> Body:
    """Return `target` with `patch` merged in recursively (JSON merge-patch without deletes)."""
    out = dict(target)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        elif value is not None:
            out[key] = value
    return out


def expand(req: Request) -> str:
    """Return the lower-cased $expand query value ('' when absent)."""
    return (req.arg("$expand") or "").lower()
