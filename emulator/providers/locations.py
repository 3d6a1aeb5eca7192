"""Locations provider: GET /subscriptions/{sub}/locations and the region table others use."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.core.router import Request, Response
from shared.regions import pair_table

if TYPE_CHECKING:
    from emulator.core import Core

DATA = Path(__file__).resolve().parent.parent / "data" / "regions.json"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_PREFIX = re.compile(r"^\([^)]*\)\s*")


@cache
def regions() -> dict[str, dict[str, Any]]:
    """Return the region table: programmatic name -> displayName, geography, zones, coordinates."""
    table: dict[str, dict[str, Any]] = json.loads(DATA.read_text(encoding="utf-8"))
    return table


def programmatic(name: str) -> str:
    """Return the programmatic form of a region given as either form ("East US 2" -> eastus2)."""
    return _PREFIX.sub("", name.strip()).replace(" ", "").lower()


def is_known(name: str) -> bool:
    """True when `name` (either form) is an Azure public-cloud region in the table."""
    return programmatic(name) in regions()


def display_name(name: str) -> str:
    """Return the display name ARM echoes for a region ("eastus2" -> "East US 2"); unknown as-is."""
    entry = regions().get(programmatic(name))
    return str(entry["displayName"]) if entry else name


def has_zones(name: str) -> bool:
    """True when the region has availability zones (so zone-redundant storage exists there)."""
    entry = regions().get(programmatic(name))
    return bool(entry and entry["availabilityZones"])


def location_body(subscription: str, name: str) -> dict[str, Any]:
    """Return one Location as GET /subscriptions/{sub}/locations (api 2022-12-01) renders it."""
    entry = regions()[name]
    paired = pair_table("AzureCloud").get(name)
    base = f"/subscriptions/{subscription}/locations"
    metadata: dict[str, Any] = {
        "regionType": "Physical",
        # Azure marks its zonal regions "Recommended"; the emulator uses that as the rule.
        "regionCategory": "Recommended" if entry["availabilityZones"] else "Other",
        "geography": entry["geography"],
        "geographyGroup": entry["geographyGroup"],
        "longitude": entry["longitude"],
        "latitude": entry["latitude"],
        "physicalLocation": entry["physicalLocation"],
        "pairedRegion": [{"name": paired, "id": f"{base}/{paired}"}] if paired else [],
    }
    body: dict[str, Any] = {
        "id": f"{base}/{name}",
        "name": name,
        "type": "Region",
        "displayName": entry["displayName"],
        "regionalDisplayName": f"({entry['geographyGroup']}) {entry['displayName']}",
        "metadata": metadata,
    }
    if entry["availabilityZones"]:
        body["availabilityZoneMappings"] = [
            {"logicalZone": str(z), "physicalZone": f"{name}-az{z}"} for z in (1, 2, 3)
        ]
    return body


def list_locations(subscription: str) -> dict[str, Any]:
    """Return {"value": [...]} for every region, sorted by name."""
    return {"value": [location_body(subscription, name) for name in sorted(regions())]}


def _list(req: Request) -> Response:
    sub = req.params["sub"]
    if not _GUID.match(sub):
        raise errors.bad_request(
            "InvalidSubscriptionId",
            f"The provided subscription identifier '{sub}' is malformed or invalid.",
        )
    return Response.ok(list_locations(sub))


def register(core: Core) -> None:
    """Add the locations route."""
    core.router.add("GET", "/subscriptions/{sub}/locations", _list)
