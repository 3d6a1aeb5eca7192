"""NIC writes in the DR region: a recovered VM's NICs in their mapped DR subnets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.arm_calls import as_json, missing_is_none, props_of, rg
from shared.azure.recovery import Recovered

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Network/networkInterfaces/read",
    "Microsoft.Network/networkInterfaces/write",
    "Microsoft.Network/networkInterfaces/delete",
    # ARM checks joining the mapped DR subnet on the subnet itself (a linked action).
    "Microsoft.Network/virtualNetworks/subnets/join/action",
)

IP_CONFIG = "ipconfig1"


@dataclass(frozen=True)
class NicSpec:
    """A DR NIC: its subnet, how it gets its address, accelerated networking, tags."""

    subnet_id: str
    allocation: str
    private_ip: str | None = None
    accelerated_networking: bool = False
    tags: tuple[tuple[str, str], ...] = ()


def _subnet(body: dict[str, Any]) -> str | None:
    configs = props_of(body).get("ipConfigurations") or []
    first = configs[0] if configs else {}
    subnet = (first.get("properties") or {}).get("subnet") or first.get("subnet") or {}
    found = subnet.get("id")
    return str(found) if found else None


def parse_nic(body: dict[str, Any]) -> Recovered:
    """Return the recovered NIC an ARM body describes (its subnet is its `source`)."""
    configs = props_of(body).get("ipConfigurations") or []
    first = (configs[0] if configs else {}).get("properties") or {}
    facts = {"privateIp": first.get("privateIPAddress")} if first.get("privateIPAddress") else {}
    state = str(props_of(body).get("provisioningState") or "Succeeded")
    return Recovered(str(body.get("id") or ""), state, _subnet(body), None, facts)


def nic_body(location: str, spec: NicSpec) -> dict[str, Any]:
    """Return the PUT body of a DR NIC (one IP configuration in the mapped subnet)."""
    ip: dict[str, Any] = {
        "subnet": {"id": spec.subnet_id},
        "privateIPAllocationMethod": spec.allocation,
        "primary": True,
    }
    if spec.allocation.lower() == "static" and spec.private_ip:
        ip["privateIPAddress"] = spec.private_ip
    return {
        "location": location,
        "tags": dict(spec.tags),
        "properties": {
            "enableAcceleratedNetworking": spec.accelerated_networking,
            "ipConfigurations": [{"name": IP_CONFIG, "properties": ip}],
        },
    }


def get_nic(clients: AzureClients, nic: ResourceId) -> Recovered | None:
    """Return the DR NIC, or None when it does not exist."""
    ops = clients.network(nic.subscription).network_interfaces
    body = missing_is_none(lambda: as_json(ops.get(rg(nic), nic.name)))
    return parse_nic(body) if body else None


def begin_create_nic(
    clients: AzureClients, nic: ResourceId, location: str, spec: NicSpec
) -> Recovered:
    """PUT the NIC and return ARM's first answer; do not wait.

    The NIC API has no `If-None-Match`, so the NIC is read first: one that exists is returned
    as it stands (never written twice), and a 409 is verified by reading the NIC. Either is
    ours only when it sits in `spec.subnet_id`; another NIC under the name raises
    InvalidInput("resourceId"). Raises azure.core errors.
    """
    from azure.core.exceptions import ResourceExistsError
    from azure.mgmt.network.models import NetworkInterface

    existing = get_nic(clients, nic)
    if existing is not None:
        if (existing.source or "").lower() != spec.subnet_id.lower():
            from shared.errors import InvalidInput

            raise InvalidInput(
                "resourceId", f"NIC {existing.id} exists in another subnet ({existing.source})"
            )
        return existing
    ops = clients.network(nic.subscription).network_interfaces
    body = nic_body(location, spec)
    try:
        poller = ops.begin_create_or_update(
            rg(nic), nic.name, NetworkInterface(body), polling=False
        )
        return parse_nic(as_json(poller.result()) or {"id": str(nic), **body})
    except ResourceExistsError:
        found = get_nic(clients, nic)
        if found is None or (found.source or "").lower() != spec.subnet_id.lower():
            raise
        return found


def delete_nic(clients: AzureClients, nic: ResourceId) -> None:
    """Delete the DR NIC and wait; already gone is success."""
    ops = clients.network(nic.subscription).network_interfaces
    missing_is_none(lambda: ops.begin_delete(rg(nic), nic.name).result())
