"""Microsoft.Network through the real SDK: vnets, subnets, NICs (dynamic/static IPs), NSGs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from emulator.server import ArmEmulator
from tests.emulator.test_sdk_models import unknown_keys
from tests.plugins.arm import RESOURCE_GROUP, SUBSCRIPTION

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
NET = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Network"
SUBNET = f"{NET}/virtualNetworks/dr-vnet/subnets/app"


def _vnet(network: Any, location: str = "westus", name: str = "dr-vnet") -> Any:
    body = {
        "location": location,
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
            "subnets": [{"name": "app", "properties": {"addressPrefix": "10.20.1.0/24"}}],
        },
    }
    return network.virtual_networks.begin_create_or_update(RESOURCE_GROUP, name, body).result()


def _nic(network: Any, name: str, location: str = "westus", **ip: Any) -> Any:
    config = {"name": "ipconfig1", "properties": {"subnet": {"id": SUBNET}, **ip}}
    body = {"location": location, "properties": {"ipConfigurations": [config]}}
    return network.network_interfaces.begin_create_or_update(RESOURCE_GROUP, name, body).result()


def _code(exc: pytest.ExceptionInfo[HttpResponseError]) -> tuple[int | None, str | None]:
    return exc.value.status_code, exc.value.error.code if exc.value.error else None


def test_vnet_and_subnet_create_get_list_deserialise_into_the_sdk_models(network: Any) -> None:
    vnet = _vnet(network)
    assert vnet.provisioning_state == "Succeeded"
    assert vnet.subnets[0].id == SUBNET
    subnet = network.subnets.get(RESOURCE_GROUP, "dr-vnet", "app")
    assert subnet.address_prefix == "10.20.1.0/24"
    added = network.subnets.begin_create_or_update(
        RESOURCE_GROUP, "dr-vnet", "db", {"properties": {"addressPrefix": "10.20.2.0/24"}}
    ).result()
    assert added.id.endswith("/subnets/db")
    assert sorted(s.name for s in network.subnets.list(RESOURCE_GROUP, "dr-vnet")) == ["app", "db"]
    assert [v.name for v in network.virtual_networks.list_all()] == ["dr-vnet"]
    assert unknown_keys(network.virtual_networks.get(RESOURCE_GROUP, "dr-vnet")) == []


def test_nic_dynamic_ip_is_allocated_like_the_published_example(network: Any) -> None:
    example = json.loads(
        (PAYLOADS / "network_rest_example_NetworkInterfaceCreate_2024-05-01.json").read_text()
    )
    published = example["responses"]["200"]["body"]
    _vnet(network)
    nic = _nic(network, "a-nic")
    raw: list[Any] = []
    network.network_interfaces.get(
        RESOURCE_GROUP, "a-nic", raw_response_hook=lambda r: raw.append(r.http_response.json())
    )
    ours, theirs = raw[0], published
    assert set(theirs) <= set(ours)
    assert set(theirs["properties"]) - {"disableTcpStateTracking"} <= set(ours["properties"])
    cfg_keys = set(theirs["properties"]["ipConfigurations"][0]["properties"]) - {"publicIPAddress"}
    assert cfg_keys <= set(ours["properties"]["ipConfigurations"][0]["properties"])
    cfg = nic.ip_configurations[0]
    assert cfg.id == f"{NET}/networkInterfaces/a-nic/ipConfigurations/ipconfig1"
    assert cfg.private_ip_address == "10.20.1.4"  # first usable address, as in the example
    assert cfg.private_ip_allocation_method == "Dynamic" and cfg.primary is True
    assert _nic(network, "b-nic").ip_configurations[0].private_ip_address == "10.20.1.5"
    # Re-PUT keeps the dynamic address (idempotent).
    assert _nic(network, "a-nic").ip_configurations[0].private_ip_address == "10.20.1.4"
    assert unknown_keys(network.network_interfaces.get(RESOURCE_GROUP, "a-nic")) == []


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("10.20.9.10", "PrivateIPAddressNotInSubnet"),
        ("10.20.1.2", "PrivateIPAddressInReservedRange"),
        ("10.20.1.4", "PrivateIPAddressInUse"),
    ],
)
def test_static_ip_outside_the_prefix_reserved_or_taken_is_refused(
    network: Any, arm: ArmEmulator, address: str, code: str
) -> None:
    _vnet(network)
    _nic(network, "first")
    with pytest.raises(HttpResponseError) as exc:
        _nic(network, "static", privateIPAllocationMethod="Static", privateIPAddress=address)
    assert _code(exc) == (400, code)
    assert not arm.state.exists(f"{NET}/networkInterfaces/static")


def test_static_ip_in_the_subnet_is_kept(network: Any) -> None:
    _vnet(network)
    nic = _nic(network, "static", privateIPAllocationMethod="Static", privateIPAddress="10.20.1.50")
    assert nic.ip_configurations[0].private_ip_address == "10.20.1.50"
    assert nic.ip_configurations[0].private_ip_allocation_method == "Static"


def test_the_same_static_ip_is_free_in_another_vnet(network: Any) -> None:
    # Addresses are unique per virtual network: a DR vnet mirroring production reuses them.
    _vnet(network)
    _vnet(network, name="mirror-vnet")
    _nic(network, "first", privateIPAllocationMethod="Static", privateIPAddress="10.20.1.60")
    mirror = f"{NET}/virtualNetworks/mirror-vnet/subnets/app"
    config = {
        "name": "ipconfig1",
        "properties": {
            "subnet": {"id": mirror},
            "privateIPAllocationMethod": "Static",
            "privateIPAddress": "10.20.1.60",
        },
    }
    body = {"location": "westus", "properties": {"ipConfigurations": [config]}}
    nic = network.network_interfaces.begin_create_or_update(RESOURCE_GROUP, "twin", body).result()
    assert nic.ip_configurations[0].private_ip_address == "10.20.1.60"


def test_nic_in_another_region_than_its_subnet_is_refused(network: Any) -> None:
    _vnet(network)
    with pytest.raises(HttpResponseError) as exc:
        _nic(network, "east-nic", location="eastus")
    assert _code(exc) == (400, "InvalidResourceReference")


def test_nsg_attaches_to_a_nic_and_lists_it(network: Any) -> None:
    _vnet(network)
    nsg = network.network_security_groups.begin_create_or_update(
        RESOURCE_GROUP, "dr-nsg", {"location": "westus"}
    ).result()
    config = {"name": "ipconfig1", "properties": {"subnet": {"id": SUBNET}}}
    body = {
        "location": "westus",
        "properties": {"ipConfigurations": [config], "networkSecurityGroup": {"id": nsg.id}},
    }
    network.network_interfaces.begin_create_or_update(RESOURCE_GROUP, "nic", body).result()
    got = network.network_security_groups.get(RESOURCE_GROUP, "dr-nsg")
    assert [n.id for n in got.network_interfaces] == [f"{NET}/networkInterfaces/nic"]
    assert unknown_keys(got) == []


def test_nic_delete_is_refused_while_a_vm_uses_it_and_then_succeeds(
    network: Any, arm: ArmEmulator
) -> None:
    _vnet(network)
    nic = _nic(network, "nic")
    # The NIC's VM link is set by VM create; set it here through the store.
    body = arm.state.require(nic.id)
    body["properties"]["virtualMachine"] = {"id": "/subscriptions/x/vm"}
    arm.state.put(body)
    with pytest.raises(HttpResponseError) as exc:
        network.network_interfaces.begin_delete(RESOURCE_GROUP, "nic").result()
    assert _code(exc) == (400, "NicInUse")
    body["properties"].pop("virtualMachine")
    arm.state.put(body)
    network.network_interfaces.begin_delete(RESOURCE_GROUP, "nic").result()
    assert not arm.state.exists(nic.id)
    network.network_interfaces.begin_delete(RESOURCE_GROUP, "nic").result()  # gone = success


def test_vnet_delete_is_refused_while_a_nic_uses_its_subnet_then_succeeds(
    network: Any, arm: ArmEmulator
) -> None:
    vnet = _vnet(network)
    _nic(network, "nic")
    with pytest.raises(HttpResponseError) as exc:
        network.virtual_networks.begin_delete(RESOURCE_GROUP, "dr-vnet").result()
    assert _code(exc) == (400, "InUseSubnetCannotBeDeleted")
    assert arm.state.exists(vnet.id)
    network.network_interfaces.begin_delete(RESOURCE_GROUP, "nic").result()
    poller = network.virtual_networks.begin_delete(RESOURCE_GROUP, "dr-vnet")
    poller.result()
    assert not arm.state.exists(vnet.id)
    network.virtual_networks.begin_delete(RESOURCE_GROUP, "dr-vnet").result()  # gone = success


def test_network_calls_in_a_down_region_fail_and_the_other_region_serves(
    network: Any, arm: ArmEmulator
) -> None:
    _vnet(network)
    _vnet(network, location="eastus", name="east-vnet")
    arm.faults.region_down("eastus")
    with pytest.raises(HttpResponseError) as exc:
        network.virtual_networks.get(RESOURCE_GROUP, "east-vnet", retry_total=0)
    assert exc.value.status_code == 503
    assert "Microsoft.Network" in str(exc.value.message)
    assert network.subnets.get(RESOURCE_GROUP, "dr-vnet", "app").name == "app"
