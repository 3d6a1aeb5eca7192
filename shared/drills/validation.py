"""Per-VM pass/fail of a drill: provisioning Succeeded, power running, Resource Health Available.

`judge` is pure: one reading of a VM, when the drill started, now and the timeout → PENDING
(look again), PASSED (with the moment it was validated) or FAILED (with why). A VM that does
not pass within the timeout fails with the last reading as its evidence. A probe (`PROBES`,
chosen by name) may add its own check once the platform checks pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.errors import InvalidInput

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.azure.drill_checks import VmReadiness

DEFAULT_TIMEOUT = timedelta(minutes=15)


class Verdict(StrEnum):
    """Where one VM's validation stands."""

    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class Reading:
    """What was observed of one VM (the evidence of a verdict)."""

    exists: bool
    provisioning: str = ""
    power: str = ""
    health: str = ""
    health_summary: str = ""
    probe: str = ""
    """The probe's own evidence line ('' when no probe ran)."""
    probe_ok: bool = True

    @classmethod
    def of(cls, readiness: VmReadiness) -> Reading:
        """Return the reading of the Azure readiness facts."""
        return cls(
            readiness.exists,
            readiness.provisioning,
            readiness.power,
            readiness.health,
            readiness.health_summary,
        )

    def checks(self) -> dict[str, bool]:
        """Each check by name → whether it holds."""
        return {
            "exists": self.exists,
            "provisioningSucceeded": self.provisioning.lower() == "succeeded",
            "powerRunning": self.power.lower() == "running",
            "healthAvailable": self.health.lower() == "available",
            "probe": self.probe_ok,
        }

    def to_json(self) -> dict[str, Any]:
        """The reading as evidence (camelCase)."""
        return {
            "exists": self.exists,
            "provisioningState": self.provisioning,
            "powerState": self.power,
            "availabilityState": self.health,
            "healthSummary": self.health_summary,
            "probe": self.probe,
        }


@dataclass(frozen=True)
class Validation:
    """One VM's verdict, when it was reached, why (for a failure) and the evidence."""

    vm_id: str
    verdict: Verdict
    checked_at: datetime
    reading: Reading
    validated_at: datetime | None = None
    reason: str = ""
    checks: Mapping[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The verdict as recorded in job data and in the drill's evidence."""
        return {
            "vmId": self.vm_id,
            "verdict": self.verdict.value,
            "checkedAt": self.checked_at.isoformat(),
            "validatedAt": self.validated_at.isoformat() if self.validated_at else None,
            "reason": self.reason,
            "checks": dict(self.checks),
            "evidence": self.reading.to_json(),
        }


def judge(
    vm_id: str, reading: Reading, started_at: datetime, now: datetime, timeout: timedelta
) -> Validation:
    """Return the verdict on `vm_id` from one reading (pure)."""
    checks = reading.checks()
    if all(checks.values()):
        return Validation(vm_id, Verdict.PASSED, now, reading, now, "", checks)
    failing = [name for name, ok in checks.items() if not ok]
    if now - started_at < timeout:
        return Validation(vm_id, Verdict.PENDING, now, reading, None, "", checks)
    why = f"not validated within {int(timeout.total_seconds())} s: {', '.join(failing)} failing"
    return Validation(vm_id, Verdict.FAILED, now, reading, None, why, checks)


# ---- probes: name → probe(clients, vm id, reading) -> reading with the probe's evidence ----

Probe = Callable[["AzureClients", ResourceId, Reading], Reading]


def _no_probe(clients: AzureClients, vm: ResourceId, reading: Reading) -> Reading:
    return reading


PROBES: Mapping[str, Probe] = {"none": _no_probe}
"""Built-in probes. An HTTP endpoint probe through the drill network and a Run Command probe
are planned; only the platform checks (`none`) exist today."""


def probe_named(name: str) -> Probe:
    """Return the probe called `name`; raise InvalidInput("probe") for an unknown one."""
    probe = PROBES.get(name.strip().lower())
    if probe is None:
        raise InvalidInput("probe", f"{name!r} is not one of {', '.join(sorted(PROBES))}")
    return probe


def read_vm(clients: AzureClients, vm: ResourceId, probe: Probe) -> Reading:
    """Read the VM's readiness from Azure; run the probe once the platform checks pass."""
    from shared.azure.drill_checks import read_readiness

    reading = Reading.of(read_readiness(clients, vm))
    platform = reading.checks()
    platform.pop("probe")
    return probe(clients, vm, reading) if all(platform.values()) else reading
