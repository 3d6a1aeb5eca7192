"""Resource SKUs: the VM sizes each region offers, with zones, capabilities and restrictions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.core import Core, Request, Response, errors, normalize_location
from emulator.providers.compute.common import SUB, Body
from emulator.providers.locations import has_zones, regions

DATA = Path(__file__).resolve().parents[2] / "data" / "vm-skus.json"
_FILTER = re.compile(r"^\s*location\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)
_CAPABILITIES = ("vCPUs", "MemoryGB", "MaxDataDiskCount", "PremiumIO", "HyperVGenerations")
ZONES = ["1", "2", "3"]


@dataclass
class Restriction:
    """A size not offered to the subscription in a region (type Location) or some zones."""

    name: str
    location: str
    type: str = "Location"
    zones: list[str] = field(default_factory=list)

    def body(self) -> Body:
        """Return the ResourceSkuRestrictions JSON."""
        info: Body = {"locations": [self.location]}
        if self.type == "Zone":
            info["zones"] = list(self.zones)
        return {
            "type": self.type,
            "values": [self.location],
            "restrictionInfo": info,
            "reasonCode": "NotAvailableForSubscription",
        }


class SkuCatalog:
    """Built-in sizes (emulator/data/vm-skus.json) plus what the estate declares."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Back to the built-in sizes, no restrictions."""
        self.sizes: dict[str, Body] = {
            s["name"].lower(): s for s in json.loads(DATA.read_text())["sizes"]
        }
        self.restrictions: list[Restriction] = []

    def seed(self, section: Any) -> None:
        """Apply an estate's `resourceSkus` section: extra `sizes` and `restrictions`."""
        if not isinstance(section, dict):
            raise errors.bad_request("InvalidRequestContent", "'resourceSkus' must be an object.")
        for size in section.get("sizes", []):
            self.sizes[str(size["name"]).lower()] = dict(size)
        for item in section.get("restrictions", []):
            kind = "Zone" if item.get("zones") else str(item.get("type", "Location"))
            self.restrictions.append(
                Restriction(
                    str(item["name"]),
                    normalize_location(str(item["location"])),
                    kind,
                    [str(z) for z in item.get("zones", [])],
                )
            )

    def items(self, location: str | None) -> list[Body]:
        """Return one ResourceSku item per (size, region), for one region or all."""
        names = [location] if location else sorted(regions())
        return [self.item(size, region) for region in names for size in self.sizes.values()]

    def item(self, size: Body, region: str) -> Body:
        """Return the ResourceSku JSON of `size` in `region`."""
        name = str(size["name"])
        capabilities = [
            {"name": key, "value": _text(size[key])} for key in _CAPABILITIES if key in size
        ]
        if size.get("TrustedLaunchDisabled"):
            capabilities.append({"name": "TrustedLaunchDisabled", "value": "True"})
        info: Body = {"location": region}
        if region in regions() and has_zones(region):
            info["zones"] = list(ZONES)
        return {
            "resourceType": "virtualMachines",
            "name": name,
            "tier": name.split("_", 1)[0],
            "size": name.split("_", 1)[-1],
            "family": size.get("family", ""),
            "locations": [region],
            "locationInfo": [info],
            "capabilities": capabilities,
            "restrictions": [
                r.body()
                for r in self.restrictions
                if r.name.lower() == name.lower() and r.location == region
            ],
        }

    def capability(self, size_name: str, key: str) -> str | None:
        """Return a size's capability value as Resource SKUs renders it, None if unknown."""
        size = self.sizes.get(size_name.lower())
        if size is None or key not in size:
            return None
        return _text(size[key])

    def offered(self, size_name: str, region: str, zones: list[str]) -> bool:
        """Return True when the size can be deployed to `region` (and `zones`)."""
        if size_name.lower() not in self.sizes or region not in regions():
            return False
        if zones and not has_zones(region):
            return False
        for r in self.restrictions:
            if r.name.lower() != size_name.lower() or r.location != region:
                continue
            if r.type == "Location" or set(zones) & set(r.zones):
                return False
        return True


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def catalog(core: Core) -> SkuCatalog:
    """Return the SKU catalogue stored on the core."""
    found: SkuCatalog = core.extensions["skus"]
    return found


def register(core: Core) -> None:
    """Add `GET .../providers/Microsoft.Compute/skus` and the estate's `resourceSkus` section."""
    skus = SkuCatalog()
    core.extensions["skus"] = skus
    core.on_reset(skus.reset)
    core.seed_sections["resourceSkus"] = skus.seed
    core.router.add("GET", SUB + "/skus", lambda req: _list(core, req))


def _list(core: Core, req: Request) -> Response:
    raw = req.arg("$filter")
    location = None
    if raw:
        match = _FILTER.match(raw)
        if match is None:
            raise errors.invalid_parameter(
                f"The filter '{raw}' is not supported. Only the location filter "
                "\"location eq '<location>'\" is supported.",
                "$filter",
            )
        location = normalize_location(match.group(1))
    return core.paged(req, catalog(core).items(location))
