"""Virtual machines: tagged VMs found with Resource Graph, one VM's facts, power off and start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure import resource_graph
from shared.azure.arm_calls import as_json, missing_is_none, props_of, region_of, rg
from shared.vms.clean_copy import PowerState, power_state_from_code
from shared.vms.facts import Caching, SecurityProfile, VmDisk, VmFacts

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    *resource_graph.ACTIONS,
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/instanceView/read",
    "Microsoft.Compute/virtualMachines/powerOff/action",
    "Microsoft.Compute/virtualMachines/start/action",
    "Microsoft.Compute/disks/read",
)

# Resource Graph holds tags as a dynamic bag: the opt-in tag is filtered here, values in Python.
_DISCOVERY = (
    "resources | where type =~ 'microsoft.compute/virtualmachines' "
    "| project id, name, location, tags"
)


@dataclass(frozen=True)
class TaggedVm:
    """A VM as Resource Graph lists it: id, region and tags."""

    vm_id: str
    name: str
    location: str
    tags: Mapping[str, str]


def list_vms(
    clients: AzureClients, subscriptions: Sequence[str], regions: Sequence[str]
) -> list[TaggedVm]:
    """Return every VM in `subscriptions` located in one of `regions` (one paged query)."""
    wanted = {r.lower() for r in regions}
    rows = resource_graph.query_resources(clients, _DISCOVERY, subscriptions)
    found = []
    for row in rows:
        location = region_of(row.get("location"))
        if location not in wanted:
            continue
        tags = {str(k): str(v) for k, v in (row.get("tags") or {}).items()}
        found.append(TaggedVm(str(row["id"]), str(row.get("name") or ""), location, tags))
    return sorted(found, key=lambda v: v.vm_id.lower())


@dataclass(frozen=True)
class VmSnapshot:
    """One read of a VM: its facts, power state, and what the recovery manifest records."""

    facts: VmFacts
    power: PowerState
    tags: Mapping[str, str]
    nics: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    image_reference: Mapping[str, Any] = field(default_factory=dict)
    disk_security: Mapping[str, Any] = field(default_factory=dict)


def _power(body: Mapping[str, Any]) -> PowerState:
    view = props_of(body).get("instanceView") or {}
    codes = [str(s.get("code") or "") for s in view.get("statuses") or []]
    states = [power_state_from_code(c) for c in codes if c.lower().startswith("powerstate/")]
    return states[0] if states else PowerState.UNKNOWN


def _disk(
    clients: AzureClients, entry: Mapping[str, Any], lun: int | None, ephemeral: bool
) -> tuple[VmDisk, Mapping[str, Any]]:
    managed = entry.get("managedDisk") or {}
    disk_id = managed.get("id")
    body: dict[str, Any] = {}
    if disk_id and not ephemeral:
        rid = ResourceId.parse(disk_id, "managedDisk.id")
        ops = clients.compute(rid.subscription).disks
        body = missing_is_none(lambda: as_json(ops.get(rg(rid), rid.name))) or {}
    props = props_of(body)
    sku = (body.get("sku") or {}).get("name") or managed.get("storageAccountType") or ""
    caching = str(entry.get("caching") or "None")
    disk = VmDisk(
        name=str(entry.get("name") or (disk_id or "").rsplit("/", 1)[-1]),
        disk_id=str(disk_id) if disk_id and not ephemeral else None,
        lun=lun,
        sku=str(sku),
        size_gb=int(props.get("diskSizeGB") or entry.get("diskSizeGB") or 0),
        caching=Caching(caching) if caching in {c.value for c in Caching} else Caching.NONE,
        max_shares=int(props.get("maxShares") or 1),
        ephemeral=ephemeral,
        write_accelerator=bool(entry.get("writeAcceleratorEnabled")),
        unique_id=str(props.get("uniqueId") or "") or None,
    )
    return disk, dict(props.get("securityProfile") or {})


def _security(props: Mapping[str, Any]) -> SecurityProfile:
    profile = props.get("securityProfile") or {}
    uefi = profile.get("uefiSettings") or {}
    return SecurityProfile(
        str(profile.get("securityType") or "Standard"),
        uefi.get("secureBootEnabled"),
        uefi.get("vTpmEnabled"),
    )


def get_vm(clients: AzureClients, vm_id: ResourceId) -> VmSnapshot | None:
    """Return the VM with its disks and power state, or None when it does not exist."""
    ops = clients.compute(vm_id.subscription).virtual_machines
    body = missing_is_none(lambda: as_json(ops.get(rg(vm_id), vm_id.name, expand="instanceView")))
    if not body:
        return None
    props = props_of(body)
    storage = props.get("storageProfile") or {}
    os_entry = storage.get("osDisk") or {}
    ephemeral = bool((os_entry.get("diffDiskSettings") or {}).get("option"))
    os_disk, os_security = _disk(clients, os_entry, None, ephemeral)
    disks = [os_disk]
    for entry in storage.get("dataDisks") or []:
        disks.append(_disk(clients, entry, int(entry.get("lun") or 0), False)[0])
    facts = VmFacts(
        vm_id=str(body.get("id") or vm_id),
        name=str(body.get("name") or vm_id.name),
        location=region_of(body.get("location")),
        size=str((props.get("hardwareProfile") or {}).get("vmSize") or ""),
        disks=tuple(disks),
        os_type=str(os_entry.get("osType") or "Linux"),
        hyper_v_generation=(props.get("instanceView") or {}).get("hyperVGeneration"),
        zone=(body.get("zones") or [None])[0],
        security=_security(props),
    )
    network = props.get("networkProfile") or {}
    resources = body.get("resources") or []
    return VmSnapshot(
        facts=facts,
        power=_power(body),
        tags={str(k): str(v) for k, v in (body.get("tags") or {}).items()},
        nics=tuple(str(n.get("id")) for n in network.get("networkInterfaces") or []),
        extensions=tuple(str(r.get("name")) for r in resources if isinstance(r, Mapping)),
        image_reference=dict(storage.get("imageReference") or {}),
        disk_security=os_security,
    )


def get_power_state(clients: AzureClients, vm_id: ResourceId) -> PowerState:
    """Return the VM's power state from its instance view (GONE when the VM does not exist)."""
    ops = clients.compute(vm_id.subscription).virtual_machines
    view = missing_is_none(lambda: as_json(ops.instance_view(rg(vm_id), vm_id.name)))
    if view is None:
        return PowerState.GONE
    return _power({"properties": {"instanceView": view}})


def begin_power_off(clients: AzureClients, vm_id: ResourceId) -> None:
    """Ask the VM to shut down and stay allocated; do not wait (the next look observes it)."""
    ops = clients.compute(vm_id.subscription).virtual_machines
    missing_is_none(lambda: ops.begin_power_off(rg(vm_id), vm_id.name, polling=False))


def begin_start(clients: AzureClients, vm_id: ResourceId) -> None:
    """Ask the VM to start; do not wait (the next look observes it)."""
    ops = clients.compute(vm_id.subscription).virtual_machines
    missing_is_none(lambda: ops.begin_start(rg(vm_id), vm_id.name, polling=False))
