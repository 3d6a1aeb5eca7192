"""What a drill's validation reads of one recovered VM: provisioning, power and Resource Health."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.arm_calls import as_json, missing_is_none, props_of, rg

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/instanceView/read",
    # GET {vm}/providers/Microsoft.ResourceHealth/availabilityStatuses/current: the provider's
    # operation, and the same read as the request audit attributes it to the VM.
    "Microsoft.ResourceHealth/availabilityStatuses/read",
    "Microsoft.Compute/virtualMachines/providers/availabilityStatuses/read",
)


@dataclass(frozen=True)
class VmReadiness:
    """The VM's provisioning state, power state (`running`, ...) and Resource Health state.

    `exists` is False when the VM is not there; the other fields are then empty.
    """

    exists: bool
    provisioning: str = ""
    power: str = ""
    health: str = ""
    health_summary: str = ""


def _power(view: dict[str, Any]) -> str:
    for status in view.get("statuses") or []:
        code = str(status.get("code") or "")
        if code.lower().startswith("powerstate/"):
            return code.split("/", 1)[1].lower()
    return ""


def _health_client(clients: AzureClients, subscription: str) -> Any:
    def build() -> Any:
        from azure.mgmt.resourcehealth import ResourceHealthMgmtClient

        return ResourceHealthMgmtClient(clients.credential, subscription, **clients._arm_kwargs())

    return clients._get(("resourcehealth", subscription.lower()), build)


def read_readiness(clients: AzureClients, vm: ResourceId) -> VmReadiness:
    """Return what validation needs to know about `vm` (three reads; 404 → not there)."""
    compute = clients.compute(vm.subscription).virtual_machines
    body = missing_is_none(lambda: as_json(compute.get(rg(vm), vm.name)))
    if body is None:
        return VmReadiness(exists=False)
    provisioning = str(props_of(body).get("provisioningState") or "")
    view = missing_is_none(lambda: as_json(compute.instance_view(rg(vm), vm.name))) or {}
    ops = _health_client(clients, vm.subscription).availability_statuses
    status = missing_is_none(lambda: as_json(ops.get_by_resource(str(vm)))) or {}
    health = props_of(status)
    return VmReadiness(
        exists=True,
        provisioning=provisioning,
        power=_power(view),
        health=str(health.get("availabilityState") or ""),
        health_summary=str(health.get("summary") or ""),
    )
