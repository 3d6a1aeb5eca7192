"""Marketplace platform images (the VM images API): list a SKU's versions, get one version."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from emulator.core import Core, Request, Response
from emulator.core.errors import ArmError

DATA = Path(__file__).resolve().parents[2] / "data" / "vm-images.json"
SKU = (
    "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/publishers/{publisher}"
    "/artifacttypes/vmimage/offers/{offer}/skus/{sku}"
)


@cache
def catalog() -> dict[tuple[str, str, str], dict[str, Any]]:
    """Return the seeded images by (publisher, offer, sku), lower-cased (Azure ignores case)."""
    images = json.loads(DATA.read_text(encoding="utf-8"))["images"]
    return {(i["publisher"].lower(), i["offer"].lower(), i["sku"].lower()): i for i in images}


def register(core: Core) -> None:
    """Add the VM images routes (reads only; every region serves the same catalog)."""
    core.router.add("GET", SKU + "/versions", _list)
    core.router.add("GET", SKU + "/versions/{version}", _get)


def _not_found() -> ArmError:
    # Compute's wording for an unknown publisher, offer, SKU or version.
    return ArmError(404, "NotFound", "Artifact: VMImage was not found.")


def _image(req: Request) -> dict[str, Any]:
    p = req.params
    found = catalog().get((p["publisher"].lower(), p["offer"].lower(), p["sku"].lower()))
    if found is None:
        raise _not_found()
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


def _id(req: Request, image: dict[str, Any], version: str) -> str:
    p = req.params
    return (
        f"/Subscriptions/{p['sub']}/Providers/Microsoft.Compute/Locations/{p['location']}"
        f"/Publishers/{image['publisher']}/ArtifactTypes/VMImage/Offers/{image['offer']}"
        f"/Skus/{image['sku']}/Versions/{version}"
    )


def _list(req: Request) -> Response:
    """A plain JSON array (not a page), oldest first; `$orderby=name desc` and `$top` apply."""
    image = _image(req)
    versions = sorted(image["versions"], key=_version_key)
    if str(req.arg("$orderby", "")).strip().lower() == "name desc":
        versions.reverse()
    top = req.arg("$top")
    if top is not None and str(top).isdigit():
        versions = versions[: int(top)]
    location = req.params["location"]
    return Response.ok(
        [{"name": v, "location": location, "id": _id(req, image, v)} for v in versions]
    )


def _get(req: Request) -> Response:
    image = _image(req)
    version = req.params["version"]
    if version not in image["versions"]:
        raise _not_found()
    return Response.ok(
        {
            "name": version,
            "location": req.params["location"],
            "id": _id(req, image, version),
            "properties": {
                "osDiskImage": {"operatingSystem": image["os"]},
                "dataDiskImages": [],
                "hyperVGeneration": image["hyperVGeneration"],
                "architecture": "x64",
            },
        }
    )
