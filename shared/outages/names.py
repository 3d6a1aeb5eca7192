"""Deterministic ids and names of plans and of every resource recovery creates (Azure limits)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.vms.naming import fit_name, vm_key

# Linux VM names: 1-64 of [A-Za-z0-9_.-]; Windows VM names 1-15 of [A-Za-z0-9-] (the computer
# name rule, which the portal and CLI apply to the resource name too). Disks and NICs: 1-80.
MAX_LINUX_VM = 64
MAX_WINDOWS_VM = 15
_WINDOWS_BAD = re.compile(r"[^A-Za-z0-9-]")
_LINUX_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_DRILL_ID = re.compile(r"^[a-z0-9]{8}$")
PRODUCTION_MARK = "dr"


def _digest(*parts: str) -> str:
    text = "\n".join(p.strip().lower() for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()


def plan_id(kind: str, incident_key: str, scope: str) -> str:
    """Return the plan id of (kind, incident, scope): one incident and scope, one plan."""
    return f"plan-{_digest(kind, incident_key, scope)[:20]}"


def drill_id(scope: str, requested_at_iso: str) -> str:
    """Return an 8-character drill id of (scope, request time): a retried request, one drill."""
    return _digest("drill", scope, requested_at_iso)[:8]


def check_drill_id(value: str) -> str:
    """Return `value` when it is a drill id (8 of [a-z0-9]); raise InvalidInput otherwise."""
    if not _DRILL_ID.match(value):
        raise InvalidInput("drillId", f"expected 8 lower-case letters or digits, got {value!r}")
    return value


def resource_id(subscription: str, group: str, provider_type: str, name: str) -> str:
    """Return the ARM id of a resource `name` of `provider_type` in a resource group."""
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{provider_type}/{name}"


@dataclass(frozen=True)
class RecoveryNames:
    """Names of the disks, NICs and VM recovered from one protected VM.

    Names depend only on the VM and the drill id (none for a real outage), never on the
    capture set or the plan revision: a re-plan or a retried write names the same resources,
    and a drill's names can never equal production DR names.
    """

    vm_id: str
    vm_name: str
    os_type: str
    drill: str | None = None

    @property
    def _mark(self) -> str:
        return PRODUCTION_MARK if self.drill is None else f"drill-{check_drill_id(self.drill)}"

    @property
    def _key(self) -> str:
        return vm_key(self.vm_id)[:8]

    def disk(self, label: str) -> str:
        """The managed disk recovered for one disk (`os`, `lun3`)."""
        return fit_name(self.vm_name, f"{label}-{self._key}-{self._mark}")

    def nic(self, index: int) -> str:
        """The NIC recovered for the VM's NIC at `index` (payload order)."""
        return fit_name(self.vm_name, f"nic{index}-{self._key}-{self._mark}")

    def vm(self) -> str:
        """The recovered VM: Windows names fit 15 characters, Linux names 64."""
        if self.os_type.lower() == "windows":
            key = self._key[:6]
            if self.drill is not None:
                return f"{check_drill_id(self.drill)}-{key}"
            clean = _WINDOWS_BAD.sub("", self.vm_name).strip("-")[:8].rstrip("-") or "vm"
            return f"{clean}-{key}"
        suffix = f"{self._key}-{self._mark}"
        room = MAX_LINUX_VM - len(suffix) - 1
        clean = _LINUX_BAD.sub("-", self.vm_name).strip("-._") or "vm"
        return f"{clean[:room].rstrip('-.')}-{suffix}"

    def subscription(self) -> str:
        """The subscription recovery writes into: the protected VM's own."""
        return ResourceId.parse(self.vm_id, "vmId").subscription


PLAN_ID = re.compile(r"plan-[0-9a-f]{20}")
"""What plan_id() returns: routes refuse anything else before reading storage."""
