"""Compute gallery provider: galleries and image definitions (versions: own module)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.core.router import Request, Response
from emulator.providers import gallery_image_versions
from emulator.providers.common import (
    body_location,
    check_same_location,
    delete_later,
    mark_state,
    require_parent,
    tags_of,
)

if TYPE_CHECKING:
    from emulator.core import Core

Body = dict[str, Any]
RG = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute"
GALLERY = RG + "/galleries/{gallery}"
IMAGE = GALLERY + "/images/{image}"
GALLERY_TYPE = "Microsoft.Compute/galleries"
IMAGE_TYPE = "Microsoft.Compute/galleries/images"
_GALLERY_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.]{0,78}[A-Za-z0-9])?$")
_IMAGE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9])?$")
_IMMUTABLE_IMAGE = ("osType", "osState", "hyperVGeneration", "identifier")


def _caps(core: Core, req: Request, location: str, on_done: Any) -> dict[str, str]:
    op = core.lro.begin(req, location, segment="capsOperations", polls=1, on_done=on_done)
    return op.headers(aao=True, location=False)


def _nested_refuse(core: Core, resource_id: str, child_type: str) -> None:
    if core.store.list(child_type, scope=resource_id):
        raise errors.conflict(
            "CannotDeleteResource", "Can not delete resource before nested resources are deleted."
        )


def normalize_gallery(body: Body) -> Body:
    """Fill what ARM adds to a gallery: identifier.uniqueName and provisioningState."""
    props = body.setdefault("properties", {})
    sub = body["id"].split("/")[2]
    props.setdefault("identifier", {"uniqueName": f"{sub}-{body['id'].rsplit('/', 1)[-1].upper()}"})
    props.setdefault("provisioningState", "Succeeded")
    return body


def normalize_image(body: Body) -> Body:
    """Fill image definition defaults: hyperVGeneration V1, architecture x64, Succeeded."""
    props = body.setdefault("properties", {})
    props.setdefault("hyperVGeneration", "V1")
    props.setdefault("architecture", "x64")
    props.setdefault("provisioningState", "Succeeded")
    return body


class Galleries:
    """HTTP handlers for galleries and gallery image definitions."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def put_gallery(self, req: Request) -> Response:
        """PUT a gallery: 201 (new) / 200 (update) + capsOperations AAO."""
        rid, body = req.resource_id, req.json_object()
        name = req.params["gallery"]
        if not _GALLERY_NAME.match(name):
            raise errors.invalid_parameter(
                f"The gallery name '{name}' is invalid. It can contain only letters, digits, "
                "underscores and periods, and cannot start or end with a period or underscore.",
                "galleryName",
            )
        location = body_location(req, body)
        existing = self.core.store.get(rid)
        check_same_location(existing, location, rid)
        props = {
            k: v for k, v in (body.get("properties") or {}).items() if k != "provisioningState"
        }
        props["provisioningState"] = "Updating" if existing else "Creating"
        stored = self.core.store.put(
            normalize_gallery(
                {"id": rid, "type": GALLERY_TYPE, "location": location, "tags": tags_of(body),
                 "properties": props}
            )
        )  # fmt: skip
        headers = _caps(self.core, req, location, mark_state(self.core, rid))
        return Response(200 if existing else 201, stored, headers)

    def patch(self, req: Request) -> Response:
        """PATCH tags / properties of a gallery or image definition: 200 + AAO."""
        current = self.core.store.require(req.resource_id)
        body = req.json_object()
        if "tags" in body:
            current["tags"] = tags_of(body)
        props = current.setdefault("properties", {})
        for key, value in (body.get("properties") or {}).items():
            if key in _IMMUTABLE_IMAGE and key in props and props[key] != value:
                raise _change_not_allowed(f"properties.{key}")
            props[key] = value
        props["provisioningState"] = "Updating"
        stored = self.core.store.put(current)
        headers = _caps(self.core, req, current["location"], mark_state(self.core, req.resource_id))
        return Response.ok(stored, headers)

    def get(self, req: Request) -> Response:
        """GET a gallery or image definition (404 ResourceNotFound when absent)."""
        return Response.ok(self.core.store.require(req.resource_id))

    def list_galleries(self, req: Request) -> Response:
        """List galleries of a resource group or a subscription (paged)."""
        scope = req.path.rsplit("/providers/", 1)[0]
        return self.core.paged(req, self.core.store.list(GALLERY_TYPE, scope=scope))

    def list_images(self, req: Request) -> Response:
        """List image definitions of a gallery (paged); 404 if the gallery is absent."""
        gallery = req.path.rsplit("/images", 1)[0]
        self.core.store.require(gallery)
        return self.core.paged(req, self.core.store.list(IMAGE_TYPE, scope=gallery))

    def delete(self, req: Request) -> Response:
        """DELETE a gallery or image definition: 202 + AAO + Location; 204 when absent."""
        rid = req.resource_id
        current = self.core.store.get(rid)
        if current is None:
            return Response.no_content()
        child = (
            IMAGE_TYPE
            if current["type"].lower() == GALLERY_TYPE.lower()
            else (gallery_image_versions.VERSION_TYPE)
        )
        _nested_refuse(self.core, rid, child)
        current["properties"]["provisioningState"] = "Deleting"
        self.core.store.put(current)
        op = self.core.lro.begin(
            req, current["location"], segment="capsOperations", on_done=delete_later(self.core, rid)
        )
        return Response.accepted(None, op.headers(aao=True, location=True))

    def put_image(self, req: Request) -> Response:
        """PUT an image definition: needs its gallery, same location, osType/osState/identifier."""
        rid, body = req.resource_id, req.json_object()
        if not _IMAGE_NAME.match(req.params["image"]):
            raise errors.invalid_parameter(
                f"The gallery image name '{req.params['image']}' is invalid.", "galleryImageName"
            )
        gallery = require_parent(self.core, rid)
        location = body_location(req, body)
        if location != gallery["location"]:
            raise errors.invalid_parameter(
                f"The gallery image location '{location}' must be the gallery's location "
                f"'{gallery['location']}'.",
                "galleryImage.location",
            )
        existing = self.core.store.get(rid)
        check_same_location(existing, location, rid)
        props = _image_properties(body.get("properties") or {}, existing)
        props["provisioningState"] = "Updating" if existing else "Creating"
        stored = self.core.store.put(
            normalize_image(
                {"id": rid, "type": IMAGE_TYPE, "location": location, "tags": tags_of(body),
                 "properties": props}
            )
        )  # fmt: skip
        headers = _caps(self.core, req, location, mark_state(self.core, rid))
        return Response(200 if existing else 201, stored, headers)


def _change_not_allowed(target: str) -> errors.ArmError:
    return errors.ArmError(
        400, "PropertyChangeNotAllowed", f"Changing property '{target}' is not allowed.",
        target=target,
    )  # fmt: skip


def _image_properties(props: Body, existing: Body | None) -> Body:
    props = {k: v for k, v in props.items() if k != "provisioningState"}
    if props.get("osType") not in {"Windows", "Linux"}:
        raise errors.invalid_parameter(
            "Required parameter 'osType' is missing or invalid (Windows or Linux).",
            "galleryImage.properties.osType",
        )
    if props.get("osState") not in {"Generalized", "Specialized"}:
        raise errors.invalid_parameter(
            "Required parameter 'osState' is missing or invalid (Generalized or Specialized).",
            "galleryImage.properties.osState",
        )
    ident = props.get("identifier") or {}
    for part in ("publisher", "offer", "sku"):
        if not ident.get(part):
            raise errors.invalid_parameter(
                f"Required parameter 'identifier.{part}' is missing (null).",
                f"galleryImage.properties.identifier.{part}",
            )
    if existing is not None:
        before = normalize_image({"id": existing["id"], "properties": dict(existing["properties"])})
        after = normalize_image({"id": existing["id"], "properties": dict(props)})
        for key in _IMMUTABLE_IMAGE:
            if before["properties"].get(key) != after["properties"].get(key):
                raise _change_not_allowed(f"galleryImage.properties.{key}")
    return props


def register(core: Core) -> None:
    """Add gallery, image definition and image version routes and type hooks."""
    handlers = Galleries(core)
    core.types.register(GALLERY_TYPE, normalize=normalize_gallery)
    core.types.register(IMAGE_TYPE, normalize=normalize_image)
    add = core.router.add
    add(
        "GET", "/subscriptions/{sub}/providers/Microsoft.Compute/galleries", handlers.list_galleries
    )
    add("GET", RG + "/galleries", handlers.list_galleries)
    add("PUT", GALLERY, handlers.put_gallery)
    add("PUT", IMAGE, handlers.put_image)
    add("GET", GALLERY + "/images", handlers.list_images)
    for pattern in (GALLERY, IMAGE):
        add("GET", pattern, handlers.get)
        add("PATCH", pattern, handlers.patch)
        add("DELETE", pattern, handlers.delete)
    gallery_image_versions.register(core, IMAGE)
