"""Microsoft.Network state: subnets inside their vnet, NIC IP allocation and NIC/VM/NSG links."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from emulator.core import errors, normalize_location
from emulator.core.store import name_of

if TYPE_CHECKING:
    from emulator.core import Core

Body = dict[str, Any]
VNETS = "Microsoft.Network/virtualNetworks"
NICS = "Microsoft.Network/networkInterfaces"
NSGS = "Microsoft.Network/networkSecurityGroups"
# Azure reserves the network address, .1 (gateway), .2-.3 (DNS) and the broadcast address.
_RESERVED_LOW = 4


def vnet_id_of(subnet_id: str) -> str:
    """Return the virtual network id of a subnet id (two segments up)."""
    return subnet_id.rstrip("/").rsplit("/", 2)[0]


def _absolute(resource_id: str) -> str:
    return resource_id if resource_id.startswith("/") else "/" + resource_id


def _invalid_reference(ref: str, owner: str) -> errors.ArmError:
    """Network's answer for a reference to a missing resource or one in another region."""
    return errors.bad_request(
        "InvalidResourceReference",
        f"Resource {ref} referenced by resource {owner} was not found. Please make sure that the "
        "referenced resource exists, and that both resources are in the same region.",
    )


class NetworkState:
    """Owns the invariants: a NIC's subnet exists in its region; static IPs are in the subnet's
    prefix, outside the reserved range and unique; `virtualMachine` marks a NIC as in use."""

    def __init__(self, core: Core) -> None:
        self.core = core

    # ---- subnets -------------------------------------------------------------------------
    def subnet(self, subnet_id: str) -> tuple[Body, Body] | None:
        """Return (vnet, subnet) for a subnet id, None when either is missing."""
        vnet = self.core.store.get(vnet_id_of(_absolute(subnet_id)))
        if vnet is None:
            return None
        for entry in vnet.get("properties", {}).get("subnets", []):
            if str(entry.get("name", "")).lower() == name_of(subnet_id).lower():
                return vnet, entry
        return None

    def subnet_view(self, subnet_id: str) -> Body | None:
        """Return the subnet as GET renders it: with the NIC ipConfigurations that use it."""
        found = self.subnet(subnet_id)
        if found is None:
            return None
        subnet = found[1]
        users = [{"id": cfg["id"]} for cfg in self._configs_in(subnet["id"])]
        props = subnet.setdefault("properties", {})
        if users:
            props["ipConfigurations"] = users
        return subnet

    def subnet_in_use(self, subnet_id: str) -> bool:
        """Return True when any NIC ipConfiguration uses the subnet."""
        return bool(self._configs_in(subnet_id))

    def _configs_in(self, subnet_id: str) -> list[Body]:
        found: list[Body] = []
        scope = "/subscriptions/" + subnet_id.strip("/").split("/")[1]
        for nic in self.core.store.list(NICS, scope):
            for cfg in nic.get("properties", {}).get("ipConfigurations", []):
                ref = str(cfg.get("properties", {}).get("subnet", {}).get("id", ""))
                if _absolute(ref).lower() == subnet_id.lower():
                    found.append(cfg)
        return found

    # ---- NIC ip configurations -----------------------------------------------------------
    def check_nic(self, nic_id: str, location: str, configs: list[Body]) -> None:
        """Validate and complete a NIC's ipConfigurations in place (allocates dynamic IPs)."""
        if not configs:
            raise errors.bad_request(
                "InvalidRequestFormat",
                f"Network interface {nic_id} must have one or more IP configurations.",
            )
        # Private addresses are unique per virtual network (a NIC's configurations share one).
        first_subnet = str(configs[0].get("properties", {}).get("subnet", {}).get("id") or "")
        taken = self._taken_ips(exclude=nic_id, vnet=_vnet_of(first_subnet))
        for index, cfg in enumerate(configs):
            cfg.setdefault("name", f"ipconfig{index + 1}")
            cfg["id"] = f"{nic_id}/ipConfigurations/{cfg['name']}"
            cfg["type"] = f"{NICS}/ipConfigurations"
            props = cfg.setdefault("properties", {})
            subnet_ref = str(props.get("subnet", {}).get("id") or "")
            found = self.subnet(subnet_ref) if subnet_ref else None
            if found is None or normalize_location(found[0].get("location", "")) != location:
                raise _invalid_reference(subnet_ref or "subnet", nic_id)
            prefix = ipaddress.ip_network(found[1]["properties"]["addressPrefix"], strict=False)
            address = self._address(cfg, prefix, taken)
            taken[address] = cfg["id"]
            props.update(
                privateIPAddress=address,
                privateIPAddressVersion="IPv4",
                provisioningState="Succeeded",
                primary=bool(props.get("primary", index == 0)),
            )
            props.setdefault("privateIPAllocationMethod", "Dynamic")

    def _address(self, cfg: Body, prefix: Any, taken: dict[str, str]) -> str:
        props = cfg["properties"]
        method = str(props.get("privateIPAllocationMethod") or "Dynamic").lower()
        if method != "static":
            current = props.get("privateIPAddress")
            if current and current not in taken and ipaddress.ip_address(current) in prefix:
                return str(current)
            return self._first_free(prefix, taken)
        wanted = props.get("privateIPAddress")
        if not wanted:
            raise errors.bad_request(
                "PrivateIPAddressMissing",
                "Private IP address is required when privateIPAllocationMethod is Static in IP "
                f"configuration {cfg['id']}.",
            )
        try:
            address = ipaddress.ip_address(str(wanted))
        except ValueError:
            raise errors.bad_request(
                "InvalidPrivateIPAddressFormat",
                f"Private IP address {wanted} in IP configuration {cfg['id']} is not valid.",
            ) from None
        if address not in prefix:
            raise errors.bad_request(
                "PrivateIPAddressNotInSubnet",
                f"Private static IP address {wanted} does not belong to the range of subnet "
                f"prefix {prefix}.",
            )
        offset = int(address) - int(prefix.network_address)
        if offset < _RESERVED_LOW or address == prefix.broadcast_address:
            raise errors.bad_request(
                "PrivateIPAddressInReservedRange",
                f"Private static IP address {wanted} falls within reserved IP range of subnet "
                f"prefix {prefix}.",
            )
        if str(address) in taken:
            raise errors.bad_request(
                "PrivateIPAddressInUse",
                f"IP configuration {cfg['id']} is using the same private IP address {wanted} as "
                f"IP configuration {taken[str(address)]}.",
            )
        return str(address)

    @staticmethod
    def _first_free(prefix: Any, taken: dict[str, str]) -> str:
        for offset in range(_RESERVED_LOW, prefix.num_addresses - 1):
            candidate = str(prefix.network_address + offset)
            if candidate not in taken:
                return candidate
        raise errors.bad_request(
            "SubnetIsFull", f"Subnet with address prefix {prefix} has no free IP addresses."
        )

    def _taken_ips(self, exclude: str, vnet: str) -> dict[str, str]:
        taken: dict[str, str] = {}
        for nic in self.core.store.list(NICS):
            if nic["id"].lower() == exclude.lower():
                continue
            for cfg in nic.get("properties", {}).get("ipConfigurations", []):
                address = cfg.get("properties", {}).get("privateIPAddress")
                subnet = str(cfg.get("properties", {}).get("subnet", {}).get("id") or "")
                if address and _vnet_of(subnet) == vnet:
                    taken[str(address)] = str(cfg.get("id", nic["id"]))
        return taken

    # ---- NSG links -----------------------------------------------------------------------
    def check_nsg(self, ref: Body | None, location: str, owner: str) -> None:
        """Raise 400 InvalidResourceReference unless the referenced NSG exists in `location`."""
        nsg_id = str((ref or {}).get("id") or "")
        if not nsg_id:
            return
        nsg = self.core.store.get(_absolute(nsg_id))
        if nsg is None or normalize_location(nsg.get("location", "")) != location:
            raise _invalid_reference(nsg_id, owner)

    def nsg_view(self, nsg: Body) -> Body:
        """Return the NSG with the NICs and subnets that reference it."""
        nics, subnets = [], []
        scope = "/subscriptions/" + nsg["id"].strip("/").split("/")[1]
        for nic in self.core.store.list(NICS, scope):
            if _same(nic.get("properties", {}).get("networkSecurityGroup"), nsg["id"]):
                nics.append({"id": nic["id"]})
        for vnet in self.core.store.list(VNETS, scope):
            for subnet in vnet.get("properties", {}).get("subnets", []):
                if _same(subnet.get("properties", {}).get("networkSecurityGroup"), nsg["id"]):
                    subnets.append({"id": subnet["id"]})
        props = nsg.setdefault("properties", {})
        if nics:
            props["networkInterfaces"] = nics
        if subnets:
            props["subnets"] = subnets
        return nsg

    # ---- NIC use by VMs ------------------------------------------------------------------
    def attach_nic(self, nic_id: str, vm_id: str) -> None:
        """Mark the NIC as used by `vm_id`."""
        nic = self.core.store.require(nic_id)
        nic["properties"]["virtualMachine"] = {"id": vm_id}
        self.core.store.put(nic)

    def release_nic(self, nic_id: str, delete: bool) -> None:
        """Detach the NIC from its VM, deleting it when the VM's deleteOption says Delete."""
        nic = self.core.store.get(nic_id)
        if nic is None:
            return
        if delete:
            self.core.store.delete(nic_id)
            return
        nic["properties"].pop("virtualMachine", None)
        self.core.store.put(nic)

    def nic_user(self, nic: Body) -> str | None:
        """Return the id of the VM using the NIC, None when it is free."""
        user = nic.get("properties", {}).get("virtualMachine", {}).get("id")
        return str(user) if user else None


def _same(ref: Any, resource_id: str) -> bool:
    return (
        isinstance(ref, dict) and _absolute(str(ref.get("id", ""))).lower() == resource_id.lower()
    )


def _vnet_of(subnet_id: str) -> str:
    """The virtual network id a subnet id belongs to (lower case; "" when it names none)."""
    head, sep, _ = subnet_id.lower().partition("/subnets/")
    return head if sep else ""
