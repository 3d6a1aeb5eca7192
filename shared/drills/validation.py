"""Per-VM pass/fail of a drill: provisioning Succeeded, power running, Resource Health Available.

`judge` is pure: one reading of a VM, when the drill started, now and the timeout → PENDING
(look again), PASSED (with the moment it was validated) or FAILED (with why). A VM that does
not pass within the timeout fails with the last reading as its evidence. A probe (`PROBES`,
chosen by name, LIFEBOAT_DRILL_PROBE) adds its own check once the platform checks pass: `http`
(a 2xx from a URL on the VM's private IP) or `run-command` (a Run Command whose stdout matches);
its evidence line is kept in the reading (`probe`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.errors import InvalidInput

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.azure.drill_checks import VmReadiness
    from shared.config import Settings

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
    nic_id: str = ""
    """The VM's primary NIC (what the http probe reads the private IP of)."""

    @classmethod
    def of(cls, readiness: VmReadiness) -> Reading:
        """Return the reading of the Azure readiness facts."""
        return cls(
            readiness.exists,
            readiness.provisioning,
            readiness.power,
            readiness.health,
            readiness.health_summary,
            nic_id=readiness.nic_id,
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


@dataclass(frozen=True)
class ProbeConfig:
    """What the probes need from the settings (LIFEBOAT_DRILL_PROBE_*)."""

    url: str = ""
    timeout_seconds: float = 5.0
    command_id: str = "RunShellScript"
    script: tuple[str, ...] = ()
    expect: str = ""

    @classmethod
    def of(cls, settings: Settings) -> ProbeConfig:
        """The probe settings of `settings`."""
        return cls(
            settings.drill_probe_url,
            settings.drill_probe_timeout_seconds,
            settings.drill_probe_command_id,
            tuple(settings.drill_probe_script),
            settings.drill_probe_expect,
        )


def _no_probe(config: ProbeConfig) -> Probe:
    def probe(clients: AzureClients, vm: ResourceId, reading: Reading) -> Reading:
        return reading

    return probe


def _http_probe(config: ProbeConfig) -> Probe:
    """GET the URL template on the VM's private IP (read from its primary NIC): 2xx passes."""
    from shared.drills.probes import http_get, target_url

    def probe(clients: AzureClients, vm: ResourceId, reading: Reading) -> Reading:
        from shared.azure.drill_checks import private_ip

        if not reading.nic_id:
            return replace(reading, probe="http: the VM names no NIC", probe_ok=False)
        nic = ResourceId.parse(reading.nic_id, "nic")
        ip = private_ip(clients, nic)
        if ip is None:
            return replace(reading, probe=f"http: NIC {nic.name} has no private IP", probe_ok=False)
        try:
            url = target_url(config.url, ip)
        except InvalidInput as exc:
            return replace(reading, probe=f"http: refused: {exc.message}", probe_ok=False)
        result = http_get(url, config.timeout_seconds)
        return replace(reading, probe=result.evidence, probe_ok=result.ok)

    return probe


def _run_command_probe(config: ProbeConfig) -> Probe:
    """Run the script on the VM (Run Command); passes when it ran and its stdout matches."""
    from shared.drills.probes import judge_command

    def probe(clients: AzureClients, vm: ResourceId, reading: Reading) -> Reading:
        from shared.azure.drill_checks import run_command
        from shared.errors import AzureRefused

        try:
            value = run_command(clients, vm, config.command_id, config.script)
        except AzureRefused as exc:
            why = f"{config.command_id}: refused ({exc.status} {exc.code}): {exc.detail}"
            return replace(reading, probe=why[:300], probe_ok=False)
        result = judge_command(config.command_id, value, config.expect)
        return replace(reading, probe=result.evidence, probe_ok=result.ok)

    return probe


PROBES: Mapping[str, Callable[[ProbeConfig], Probe]] = {
    "none": _no_probe,
    "http": _http_probe,
    "run-command": _run_command_probe,
}
"""Built-in probes by name (LIFEBOAT_DRILL_PROBE): `none` (platform checks only), `http`,
`run-command`."""


def probe_named(name: str, config: ProbeConfig | None = None) -> Probe:
    """Return the probe called `name`; raise InvalidInput("probe") for an unknown one."""
    make = PROBES.get(name.strip().lower())
    if make is None:
        raise InvalidInput("probe", f"{name!r} is not one of {', '.join(sorted(PROBES))}")
    return make(config or ProbeConfig())


READ_CONCURRENCY = 16
"""VMs read (and probed) at once by one look: an http probe's timeout or a Run Command's run
is waited for in parallel, not once per VM in turn."""


def read_vms(clients: AzureClients, vms: Sequence[ResourceId], probe: Probe) -> list[Reading]:
    """`read_vm` of each VM, READ_CONCURRENCY at a time; the readings in the order of `vms`.

    The first failure (a transient Azure error) is raised after every read has ended.
    """
    if len(vms) <= 1:
        return [read_vm(clients, vm, probe) for vm in vms]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(vms))) as pool:
        futures = [pool.submit(read_vm, clients, vm, probe) for vm in vms]
    return [f.result() for f in futures]


def read_vm(clients: AzureClients, vm: ResourceId, probe: Probe) -> Reading:
    """Read the VM's readiness from Azure; run the probe once the platform checks pass."""
    from shared.azure.drill_checks import read_readiness

    reading = Reading.of(read_readiness(clients, vm))
    platform = reading.checks()
    platform.pop("probe")
    return probe(clients, vm, reading) if all(platform.values()) else reading
