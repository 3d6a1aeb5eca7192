"""Helpers shared by the gallery and image builder providers: ARM checks every RP makes alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.core.router import Request
from emulator.providers.locations import is_known, programmatic

if TYPE_CHECKING:
    from emulator.core import Core

Body = dict[str, Any]


def parent_id(resource_id: str) -> str:
    """Return the id of the parent resource (two segments up)."""
    return resource_id.rstrip("/").rsplit("/", 2)[0]


def require_parent(core: Core, resource_id: str) -> Body:
    """Return the parent resource; raise 404 ParentResourceNotFound as ARM words it."""
    parent = core.store.get(parent_id(resource_id))
    if parent is None:
        name = parent_id(resource_id).rsplit("/", 1)[-1]
        raise errors.ArmError(
            404,
            "ParentResourceNotFound",
            "Can not perform requested operation on nested resource. "
            f"Parent resource '{name}' not found.",
        )
    return parent


def body_location(req: Request, body: Body) -> str:
    """Return the programmatic location of a PUT body; raise 400 if missing or unknown."""
    location = body.get("location")
    if not isinstance(location, str) or not location.strip():
        raise errors.bad_request(
            "LocationRequired", "The location property is required for this definition."
        )
    if not is_known(location):
        raise errors.bad_request(
            "LocationNotAvailableForResourceType",
            f"The provided location '{location}' is not available for resource type "
            f"'{_type_name(req.resource_id)}'.",
        )
    return programmatic(location)


def check_same_location(existing: Body | None, location: str, resource_id: str) -> None:
    """Raise 400 InvalidResourceLocation when a PUT moves an existing resource (ARM wording)."""
    if existing is None or programmatic(existing.get("location") or "") == location:
        return
    parts = resource_id.split("/")
    group = parts[4] if len(parts) > 4 else ""
    raise errors.bad_request(
        "InvalidResourceLocation",
        f"The resource '{resource_id.rsplit('/', 1)[-1]}' already exists in location "
        f"'{existing.get('location')}' in resource group '{group}'. A resource with the same "
        f"name cannot be created in location '{location}'. Please select a new resource name.",
    )


def tags_of(body: Body) -> dict[str, str]:
    """Return the tags of a request body ({} when absent); raise 400 for a non-object."""
    tags = body.get("tags") or {}
    if not isinstance(tags, dict):
        raise errors.bad_request("InvalidRequestContent", "The 'tags' property must be an object.")
    return {str(k): str(v) for k, v in tags.items()}


def _type_name(resource_id: str) -> str:
    from emulator.core.store import type_of

    return type_of(resource_id)


def delete_later(core: Core, resource_id: str) -> Any:
    """Return an on_done callback that removes `resource_id` from the store."""

    def done() -> None:
        core.store.delete(resource_id)

    return done


def mark_state(core: Core, resource_id: str, state: str = "Succeeded") -> Any:
    """Return an on_done callback that sets properties.provisioningState if still stored."""

    def done() -> None:
        body = core.store.get(resource_id)
        if body is None:
            return
        body.setdefault("properties", {})["provisioningState"] = state
        core.store.put(body)

    return done
