"""A drill's isolated network: a configured vnet, or one the drill creates and later deletes.

`plan_network` is pure: the drill's vnet id (`vnet-drill-<id>` in the DR resource group, or the
configured one), its subnets (names mirror the DR subnets of LIFEBOAT_SUBNET_MAP, one /24 each
carved from the address space, in sorted name order) and the map the drill plan uses:
production source subnet id → drill subnet id. `ensure_network` makes it so in Azure:
creating the vnet when the drill owns it, or checking the configured one has every subnet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.outages.names import check_drill_id, resource_id
from shared.outages.plan import DrillTarget

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.azure.drill_network import DrillNetwork

VNET_TYPE = "Microsoft.Network/virtualNetworks"
DEFAULT_ADDRESS_SPACE = "10.250.0.0/16"
SUBNET_PREFIX = 24
DRILL_TAG = "lifeboat-drill"


def network_name(drill_id: str) -> str:
    """The vnet a drill creates for itself."""
    return f"vnet-drill-{check_drill_id(drill_id)}"


@dataclass(frozen=True)
class NetworkChoice:
    """What the operator chose: a configured vnet id, or the address space of a created one."""

    configured_id: str | None = None
    address_space: str = DEFAULT_ADDRESS_SPACE

    def __post_init__(self) -> None:
        if self.configured_id is not None:
            rid = ResourceId.parse(self.configured_id, "network.vnetId")
            if not rid.is_type(VNET_TYPE):
                raise InvalidInput("network.vnetId", f"{self.configured_id} is not a vnet id")
        try:
            net = ipaddress.ip_network(self.address_space, strict=True)
        except ValueError as exc:
            raise InvalidInput("network.addressSpace", str(exc)) from None
        if not net.is_private or net.version != 4 or net.prefixlen > SUBNET_PREFIX:
            raise InvalidInput(
                "network.addressSpace", f"expected a private IPv4 range /{SUBNET_PREFIX} or wider"
            )


@dataclass(frozen=True)
class NetworkPlan:
    """The drill network: its id, whether the drill creates (and deletes) it, its subnets."""

    drill_id: str
    network_id: str
    created_by_drill: bool
    location: str
    address_space: str
    subnets: Mapping[str, str] = field(default_factory=dict)
    """Subnet name → address prefix (a configured vnet keeps its own prefixes: values '')."""
    subnet_map: Mapping[str, str] = field(default_factory=dict)
    """Production source subnet id → drill subnet id."""

    def target(self, resource_group: str) -> DrillTarget:
        """The drill plan's target: the DR resource group, this network's subnets."""
        return DrillTarget(self.drill_id, resource_group, dict(self.subnet_map))

    def owned_network(self) -> str | None:
        """The vnet cleanup deletes: the drill's own one, never a configured one."""
        return self.network_id if self.created_by_drill else None


def _subnet_name(dr_subnet_id: str) -> str:
    rid = ResourceId.parse(dr_subnet_id, "LIFEBOAT_SUBNET_MAP")
    return rid.name


def plan_network(
    drill_id: str,
    subscription: str,
    resource_group: str,
    location: str,
    subnet_map: Mapping[str, str],
    *,
    choice: NetworkChoice,
) -> NetworkPlan:
    """Return the drill network for a production subnet map (pure; InvalidInput naming why)."""
    check_drill_id(drill_id)
    names = sorted({_subnet_name(dr) for dr in subnet_map.values()}, key=str.lower)
    if choice.configured_id is not None:
        vnet = choice.configured_id
        subnets = dict.fromkeys(names, "")
    else:
        vnet = resource_id(subscription, resource_group, VNET_TYPE, network_name(drill_id))
        space = ipaddress.ip_network(choice.address_space)
        blocks = space.subnets(new_prefix=SUBNET_PREFIX)
        subnets = {}
        for name in names:
            try:
                subnets[name] = str(next(blocks))
            except StopIteration:
                raise InvalidInput(
                    "network.addressSpace",
                    f"{choice.address_space} has room for fewer than {len(names)} /24 subnets",
                ) from None
    by_name = {n.lower(): f"{vnet}/subnets/{n}" for n in names}
    mapped = {src: by_name[_subnet_name(dr).lower()] for src, dr in subnet_map.items()}
    return NetworkPlan(
        drill_id,
        vnet,
        choice.configured_id is None,
        location,
        choice.address_space,
        subnets,
        mapped,
    )


def ensure_network(clients: AzureClients, plan: NetworkPlan) -> DrillNetwork:
    """Create the drill's own vnet (idempotent PUT), or check the configured one's subnets.

    Raises InvalidInput("network.vnetId") when the configured vnet does not exist, is not in
    the DR region, or lacks a subnet the production map needs (no isolated place for a VM).
    """
    from shared.azure import drill_network

    rid = ResourceId.parse(plan.network_id, "network.vnetId")
    if plan.created_by_drill:
        existing = drill_network.get_network(clients, rid)
        wanted = {k.lower() for k in plan.subnets}
        if existing is not None and {k.lower() for k in existing.subnets} >= wanted:
            return existing
        return drill_network.create_network(
            clients,
            rid,
            location=plan.location,
            prefixes=[plan.address_space],
            subnets=plan.subnets,
            tags={DRILL_TAG: plan.drill_id},
        )
    found = drill_network.get_network(clients, rid)
    if found is None:
        raise InvalidInput("network.vnetId", f"{plan.network_id} does not exist")
    if found.location != plan.location.lower():
        raise InvalidInput("network.vnetId", f"is in {found.location}, not in {plan.location}")
    have = {k.lower() for k in found.subnets}
    missing = [n for n in plan.subnets if n.lower() not in have]
    if missing:
        raise InvalidInput("network.vnetId", f"lacks subnet(s) {', '.join(missing)}")
    return found
