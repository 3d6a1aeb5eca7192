"""Resource Health availability of protected VMs, for outage corroboration.

Azure offers `availabilityStatuses` lists per subscription, but the emulator serves only the
per-resource `current` status (docs/emulator-providers.md), so this reads one status per VM,
capped by the caller. Microsoft.ResourceHealth is global: it answers with the VM's region down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.arm_id import ResourceId
from shared.azure.arm_calls import as_json, missing_is_none, props_of
from shared.azure.drill_checks import _health_client

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.ResourceHealth/availabilityStatuses/read",
    "Microsoft.Compute/virtualMachines/providers/availabilityStatuses/read",
)


@dataclass(frozen=True)
class VmHealth:
    """One VM's current availability: state, `context` (Platform / Customer Initiated), since."""

    vm_id: str
    state: str
    cause: str | None
    occurred_at: datetime | None
    reported_at: datetime | None
    """When Resource Health reported it (its own clock: durations are measured on it)."""


def _time(raw: object) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None


def read_vm_health(clients: AzureClients, vm: ResourceId) -> VmHealth | None:
    """Return `vm`'s current Resource Health status, or None when Azure has none (404).

    Any other failure raises (the caller records the region as unknown).
    """
    ops = _health_client(clients, vm.subscription).availability_statuses
    body = missing_is_none(lambda: as_json(ops.get_by_resource(str(vm))))
    if body is None:
        return None
    props = props_of(body)
    cause = props.get("context") or props.get("reasonType")
    return VmHealth(
        vm_id=str(vm),
        state=str(props.get("availabilityState") or ""),
        cause=str(cause) if cause else None,
        occurred_at=_time(props.get("occuredTime") or props.get("occurredTime")),
        reported_at=_time(props.get("reportedTime")),
    )
