"""Typed readers of network interfaces (what a VM's recovery manifest records about its NICs).

Readers only: NIC writes for outage recovery live in their own module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.arm_calls import missing_is_none, rg

if TYPE_CHECKING:
    from azure.mgmt.network import NetworkManagementClient

    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = ("Microsoft.Network/networkInterfaces/read",)


@dataclass(frozen=True)
class NicFacts:
    """One NIC: its primary IP configuration's subnet and address, and how it is set up."""

    nic_id: str
    subnet_id: str
    private_ip: str | None
    allocation: str
    accelerated_networking: bool
    nsg_id: str | None
    primary: bool


def _network(clients: AzureClients, subscription: str) -> NetworkManagementClient:
    from azure.mgmt.network import NetworkManagementClient

    def build() -> NetworkManagementClient:
        return NetworkManagementClient(clients.credential, subscription, **clients._arm_kwargs())

    client: NetworkManagementClient = clients._get(("network", subscription.lower()), build)
    return client


def parse_nic(body: Mapping[str, Any]) -> NicFacts:
    """Return the NIC facts of an ARM body (the primary IP configuration, else the first)."""
    props = body.get("properties") or {}
    configs = [c for c in props.get("ipConfigurations") or [] if isinstance(c, Mapping)]
    chosen = next(
        (c for c in configs if (c.get("properties") or {}).get("primary")),
        configs[0] if configs else {},
    )
    ip = chosen.get("properties") or {}
    allocation = str(ip.get("privateIPAllocationMethod") or "Dynamic")
    nsg = (props.get("networkSecurityGroup") or {}).get("id")
    return NicFacts(
        nic_id=str(body.get("id") or ""),
        subnet_id=str((ip.get("subnet") or {}).get("id") or ""),
        private_ip=ip.get("privateIPAddress"),
        allocation="Static" if allocation.lower() == "static" else "Dynamic",
        accelerated_networking=bool(props.get("enableAcceleratedNetworking")),
        nsg_id=str(nsg) if nsg else None,
        primary=bool(props.get("primary")),
    )


def get_nic(clients: AzureClients, nic: ResourceId) -> NicFacts | None:
    """Return the NIC's facts, or None when it does not exist."""
    ops = _network(clients, nic.subscription).network_interfaces
    # The REST body as Azure sent it (`cls`): the network SDK's models flatten `properties`.
    body = missing_is_none(lambda: ops.get(rg(nic), nic.name, cls=_rest_body))
    return parse_nic(body) if isinstance(body, Mapping) and body else None


def _rest_body(pipeline_response: Any, _deserialized: Any, _headers: Any) -> Any:
    return pipeline_response.http_response.json()
