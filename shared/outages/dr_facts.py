"""Typed facts about the DR region that plan preflight checks against (Resource SKUs, subnets)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import InvalidInput


@dataclass(frozen=True)
class SkuRestriction:
    """One Resource SKUs restriction: `Location` (whole region) or `Zone` (listed zones)."""

    type: str
    locations: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    reason_code: str | None = None


@dataclass(frozen=True)
class VmSku:
    """One `virtualMachines` entry of Resource SKUs for the DR region."""

    name: str
    locations: tuple[str, ...]
    zones: tuple[str, ...] = ()
    """Zones of `locationInfo` for the DR region."""
    capabilities: Mapping[str, str] = field(default_factory=dict)
    restrictions: tuple[SkuRestriction, ...] = ()

    def capability(self, name: str) -> str | None:
        """Return a capability's value (names compared caselessly), or None."""
        wanted = name.lower()
        return next((v for k, v in self.capabilities.items() if k.lower() == wanted), None)

    def offered_in(self, region: str) -> bool:
        """True when the size is listed in `region` and no Location restriction covers it."""
        region = region.lower()
        if region not in {loc.lower() for loc in self.locations}:
            return False
        return not any(
            r.type.lower() == "location" and region in {x.lower() for x in r.locations}
            for r in self.restrictions
        )

    def zone_offered(self, region: str, zone: str) -> bool:
        """True when `zone` is listed for the size in `region` and not Zone-restricted."""
        if zone not in self.zones:
            return False
        return not any(
            r.type.lower() == "zone"
            and region.lower() in {x.lower() for x in r.locations}
            and zone in r.zones
            for r in self.restrictions
        )


def _strs(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _restriction(raw: Mapping[str, Any]) -> SkuRestriction:
    info = raw.get("restrictionInfo") or {}
    return SkuRestriction(
        type=str(raw.get("type", "")),
        locations=_strs(info.get("locations")) or _strs(raw.get("values")),
        zones=_strs(info.get("zones")),
        reason_code=raw.get("reasonCode"),
    )


def vm_sku_from_resource_sku(raw: Mapping[str, Any], region: str) -> VmSku:
    """Return the VmSku of one Resource SKUs list item, with the zones offered in `region`.

    Raises InvalidInput (`name`) when the item has no name or is not a virtualMachines SKU.
    """
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidInput("name", "a Resource SKU needs a name")
    if str(raw.get("resourceType", "")).lower() != "virtualmachines":
        raise InvalidInput(
            "resourceType", f"expected virtualMachines, got {raw.get('resourceType')!r}"
        )
    zones: tuple[str, ...] = ()
    for info in raw.get("locationInfo") or []:
        if str(info.get("location", "")).lower() == region.lower():
            zones = _strs(info.get("zones"))
    capabilities = {
        str(c.get("name")): str(c.get("value"))
        for c in raw.get("capabilities") or []
        if c.get("name")
    }
    return VmSku(
        name=name,
        locations=_strs(raw.get("locations")),
        zones=tuple(sorted(zones)),
        capabilities=capabilities,
        restrictions=tuple(_restriction(r) for r in raw.get("restrictions") or []),
    )


@dataclass(frozen=True)
class DrSubnet:
    """A subnet in the DR region that recovered NICs can join, and the addresses already used."""

    subnet_id: str
    prefix: str
    used_ips: frozenset[str] = frozenset()

    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The subnet's address prefix as a network."""
        return ipaddress.ip_network(self.prefix, strict=False)


@dataclass(frozen=True)
class DrRegionFacts:
    """What preflight knows about the DR region: sizes offered and subnets available."""

    region: str
    skus: Mapping[str, VmSku]
    """Size name (case-folded) → SKU."""
    subnets: Mapping[str, DrSubnet]
    """Subnet id (case-folded) → subnet."""

    @classmethod
    def of(
        cls, region: str, skus: tuple[VmSku, ...], subnets: tuple[DrSubnet, ...]
    ) -> DrRegionFacts:
        """Return facts indexed by case-folded size name and subnet id."""
        return cls(
            region=region,
            skus={s.name.lower(): s for s in skus},
            subnets={s.subnet_id.lower(): s for s in subnets},
        )

    def sku(self, size: str) -> VmSku | None:
        """The SKU of `size`, or None when Resource SKUs does not list it."""
        return self.skus.get(size.lower())

    def subnet(self, subnet_id: str) -> DrSubnet | None:
        """The DR subnet with this id, or None when it is not known in the DR region."""
        return self.subnets.get(subnet_id.lower())
