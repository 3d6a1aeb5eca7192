"""What a drill's validation reads of one recovered VM: provisioning, power and Resource Health;
and what its probes need of Azure: the VM's private IP (its primary NIC) and a Run Command."""

from __future__ import annotations

from collections.abc import Sequence
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
    # The http probe reads the drill VM's primary NIC for its private IP.
    "Microsoft.Network/networkInterfaces/read",
    # The run-command probe: POST {vm}/runCommand (an LRO on the drill VM, DR resource group).
    "Microsoft.Compute/virtualMachines/runCommand/action",
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
    nic_id: str = ""
    """The VM's primary NIC ('' when it names none)."""


def _primary_nic(props: Any) -> str:
    nics = (props.get("networkProfile") or {}).get("networkInterfaces") or []
    primary = [n for n in nics if (n.get("properties") or {}).get("primary") or n.get("primary")]
    chosen = (primary or nics or [{}])[0]
    return str(chosen.get("id") or "")


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
        nic_id=_primary_nic(props_of(body)),
    )


def private_ip(clients: AzureClients, nic: ResourceId) -> str | None:
    """Return the private IPv4 of the NIC's primary IP configuration (None: no NIC or no IP)."""
    ops = clients.network(nic.subscription).network_interfaces
    body = missing_is_none(lambda: as_json(ops.get(rg(nic), nic.name)))
    configs = props_of(body or {}).get("ipConfigurations") or []
    primary = [c for c in configs if (c.get("properties") or {}).get("primary")]
    for config in primary or configs:
        address = (config.get("properties") or {}).get("privateIPAddress")
        if address:
            return str(address)
    return None


def run_command(
    clients: AzureClients, vm: ResourceId, command_id: str, script: Sequence[str]
) -> list[dict[str, Any]]:
    """Run `script` on the VM (`RunShellScript` / `RunPowerShellScript`); return `value[]`.

    Raises TransientError for throttling and 5xx, AzureRefused for any other refusal (a VM
    not running: 409 OperationNotAllowed), as translated by `shared/azure/failures.py`.
    """
    from azure.mgmt.compute.models import RunCommandInput

    from shared.azure.failures import azure_failures

    compute = clients.compute(vm.subscription).virtual_machines
    body = RunCommandInput(command_id=command_id, script=list(script))
    with azure_failures(f"running {command_id} on drill VM {vm.name}", denied=False):
        result = as_json(compute.begin_run_command(rg(vm), vm.name, body).result())
    return [dict(item) for item in result.get("value") or [] if isinstance(item, dict)]
