"""A drill's isolated network and the deletion of what a drill created (VMs, NICs, disks, vnet).

Every delete waits for its long-running operation and treats "already gone" (404) as success,
so a cleanup step can run again after a worker died mid-way. The Network client is built here
from the app's shared ARM pipeline settings (endpoint, CA bundle, transport, polling).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure import disks
from shared.azure.arm_calls import as_json, missing_is_none, props_of, region_of, rg

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Network/virtualNetworks/read",
    "Microsoft.Network/virtualNetworks/write",
    "Microsoft.Network/virtualNetworks/delete",
    "Microsoft.Network/networkInterfaces/read",
    "Microsoft.Network/networkInterfaces/delete",
    "Microsoft.Network/locations/operations/read",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/delete",
    "Microsoft.Compute/locations/operations/read",
    *disks.ACTIONS,
)


@dataclass(frozen=True)
class DrillNetwork:
    """A virtual network as read back: id, region, address prefixes and subnet name → id."""

    network_id: str
    location: str
    prefixes: tuple[str, ...]
    subnets: Mapping[str, str]
    tags: Mapping[str, str]


def network_client(clients: AzureClients, subscription: str) -> Any:
    """Return the Network client for `subscription` (kept for the life of the process)."""

    def build() -> Any:
        from azure.mgmt.network import NetworkManagementClient

        kwargs = clients._arm_kwargs()
        return NetworkManagementClient(clients.credential, subscription, **kwargs)

    return clients._get(("network", subscription.lower()), build)


def _parse(body: Mapping[str, Any]) -> DrillNetwork:
    props = props_of(body)
    prefixes = tuple(str(p) for p in (props.get("addressSpace") or {}).get("addressPrefixes", []))
    subnets = {str(s["name"]): str(s["id"]) for s in props.get("subnets") or [] if s.get("id")}
    tags = {str(k): str(v) for k, v in (body.get("tags") or {}).items()}
    return DrillNetwork(str(body["id"]), region_of(body.get("location")), prefixes, subnets, tags)


def get_network(clients: AzureClients, network: ResourceId) -> DrillNetwork | None:
    """Return the virtual network, or None when it does not exist."""
    ops = network_client(clients, network.subscription).virtual_networks
    body = missing_is_none(lambda: as_json(ops.get(rg(network), network.name)))
    return None if body is None else _parse(body)


def create_network(
    clients: AzureClients,
    network: ResourceId,
    *,
    location: str,
    prefixes: Sequence[str],
    subnets: Mapping[str, str],
    tags: Mapping[str, str],
) -> DrillNetwork:
    """Create (or converge) the vnet with `subnets` (name → prefix) and wait; return it."""
    body = {
        "location": location,
        "tags": dict(tags),
        "properties": {
            "addressSpace": {"addressPrefixes": list(prefixes)},
            "subnets": [
                {"name": name, "properties": {"addressPrefix": prefix}}
                for name, prefix in subnets.items()
            ],
        },
    }
    ops = network_client(clients, network.subscription).virtual_networks
    poller = ops.begin_create_or_update(rg(network), network.name, body)
    return _parse(as_json(poller.result()))


def delete_network(clients: AzureClients, network: ResourceId) -> None:
    """Delete the virtual network and wait; already gone is success."""
    ops = network_client(clients, network.subscription).virtual_networks
    missing_is_none(lambda: ops.begin_delete(rg(network), network.name).result())


def delete_nic(clients: AzureClients, nic: ResourceId) -> None:
    """Delete the network interface and wait; already gone is success."""
    ops = network_client(clients, nic.subscription).network_interfaces
    missing_is_none(lambda: ops.begin_delete(rg(nic), nic.name).result())


def delete_vm(clients: AzureClients, vm: ResourceId) -> None:
    """Delete the VM and wait (its disks and NICs stay: they are deleted on their own)."""
    ops = clients.compute(vm.subscription).virtual_machines
    missing_is_none(lambda: ops.begin_delete(rg(vm), vm.name).result())


def delete_disk(clients: AzureClients, disk: ResourceId) -> None:
    """Delete the managed disk and wait; already gone is success."""
    disks.delete_disk(clients, disk)


def exists(clients: AzureClients, resource: ResourceId, kind: str) -> bool:
    """True when the VM, NIC, disk or vnet (`kind`: vm|nic|disk|network) still exists."""
    if kind == "vm":
        compute = clients.compute(resource.subscription).virtual_machines
        return missing_is_none(lambda: compute.get(rg(resource), resource.name)) is not None
    if kind == "disk":
        return disks.get_disk(clients, resource) is not None
    net = network_client(clients, resource.subscription)
    ops = net.network_interfaces if kind == "nic" else net.virtual_networks
    return missing_is_none(lambda: ops.get(rg(resource), resource.name)) is not None
