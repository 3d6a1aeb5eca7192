"""VM protection throughput: N tagged VMs x 3 disks protected at once, copies under the cap.

The VMs spread over several subscriptions and two primary regions (snapshot mode). One
POST /api/vms/protect (tag request, the real route) starts a `vm_protection` job per VM; the
concurrent driver drains them with the emulated clock fast-forwarded while every worker waits.
In-flight CopyStarts are read from the emulator's copy ledger (GET /_emulator/copies) before
every clock jump (every worker idle: the ledger is exact) and each (subscription, DR region)
lane's peak is compared with LIFEBOAT_COPY_CONCURRENCY. The bound is one lane's disks in rounds
of `cap` copies, each round one copy duration (the emulator's CopyStart rate).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.remote import RemoteAzure
from bench.wire import StorageCounter, app_call

PRIMARY_REGIONS = ("eastus", "centralus")
DISKS_PER_VM = 3  # OS disk + 2 data disks
RG = "bench-vms"


def _subscriptions(count: int) -> list[str]:
    return [f"00000000-0000-0000-0000-0000000000{i:02d}" for i in range(1, count + 1)]


def estate(subscriptions: list[str], count: int) -> tuple[dict[str, Any], Counter[tuple[str, str]]]:
    """Return `count` tagged VMs (3 disks each) spread over subscriptions and primary regions,
    and the number of disks per (subscription, primary region)."""
    resources, disks = [], Counter[tuple[str, str]]()
    for i in range(count):
        sub = subscriptions[i % len(subscriptions)]
        region = PRIMARY_REGIONS[(i // len(subscriptions)) % len(PRIMARY_REGIONS)]
        name = f"vm{i:04d}"
        disks[(sub, region)] += DISKS_PER_VM
        resources.append({
            "id": f"/subscriptions/{sub}/resourceGroups/{RG}/providers/"
                  f"Microsoft.Compute/virtualMachines/{name}",
            "location": region,
            "tags": {"lifeboat-protect": "true", "lifeboat-mode": "snapshot"},
            "_powerState": "running",
            "properties": {
                "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                "storageProfile": {
                    "osDisk": {"name": f"{name}-os", "osType": "Linux", "diskSizeGB": 30},
                    "dataDisks": [
                        {"lun": lun, "name": f"{name}-data{lun}", "diskSizeGB": 64}
                        for lun in range(DISKS_PER_VM - 1)
                    ],
                },
            },
        })  # fmt: skip
    return {"resources": resources}, disks


@dataclass
class _Lanes:
    """Peak in-flight CopyStarts per (subscription, DR region), read from the copy ledger."""

    local: RemoteAzure
    peak: Counter[tuple[str, str]] = field(default_factory=Counter)

    def _get(self, action: str) -> list[dict[str, Any]]:
        import requests

        arm = self.local.arm
        response = requests.get(
            f"{arm.endpoint}/_emulator/{action}",
            verify=arm.ca_file,
            headers={"Authorization": "Bearer bench"},
            timeout=60,
        )
        response.raise_for_status()
        value: list[dict[str, Any]] = response.json()["value"]
        return value

    def sample(self) -> None:
        flying: Counter[tuple[str, str]] = Counter()
        for copy in self._get("copies"):
            done = copy.get("completionPercent") == 100.0 or "copyCompletionError" in copy
            if not done:
                flying[(copy["id"].split("/")[2], copy["region"])] += 1
        for lane, count in flying.items():
            self.peak[lane] = max(self.peak[lane], count)

    def advance(self, seconds: float) -> None:
        self.sample()
        self.local.arm.clock.advance(seconds)

    def refused(self) -> int:
        """CopyStart PUTs the emulator refused (copy limits answer 409 or 429)."""
        return sum(
            1
            for e in self._get("log")
            if e["method"] == "PUT"
            and "/snapshots/" in e["path"].lower()
            and e["status"] in (409, 429)
        )


@dataclass(frozen=True)
class VmRunResult:
    """One measured run of the VM section."""

    vms: int
    cap: int
    wall: float
    emulated: float
    bound: float
    peak: int
    refused: int
    jobs: Counter[str]
    arm_calls: int
    storage_calls: int
    worker_seconds: float

    def per_vm(self, value: float) -> float:
        """`value` divided by the number of VMs."""
        return value / self.vms if self.vms else 0.0


def _protect_request() -> Any:
    """POST /api/vms/protect {"tag": "lifeboat-protect=true"}, as the Functions host hands it."""
    import json

    import azure.functions as func

    return func.HttpRequest(
        method="POST",
        url="http://localhost:7071/api/vms/protect",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"tag": "lifeboat-protect=true"}).encode(),
    )


def copy_minutes() -> float:
    """Emulated minutes one CopyStart takes (the emulator's copy rate, percent per minute)."""
    from emulator.providers.compute.common import ComputeOptions

    return 100.0 / ComputeOptions().copy_percent_per_minute


def run_vms(local: RemoteAzure, count: int, workers: int, subs: list[str], cap: int) -> VmRunResult:
    """Seed the VMs, protect them with one tag request, drain every job; measure."""
    from bench.driver import ConcurrentDriver
    from functions.vms import vms_protect
    from shared import bootstrap
    from shared.bootstrap import get_deps

    body, disks = estate(subs, count)
    local.arm.seed(body)
    local.arm.log.clear()
    lanes = _Lanes(local)
    azurite = local.azurite
    counter = StorageCounter({azurite.blob_port, azurite.queue_port, azurite.table_port})
    bootstrap.configure(clock=local.arm.clock.now, storage_delays=False)
    try:
        began = local.arm.clock.now()
        started = time.perf_counter()
        with counter.installed():
            with app_call():
                response = vms_protect(_protect_request())
            assert response.status_code in (200, 202), response.get_body()
            stats = ConcurrentDriver(workers, local.arm.clock.now, lanes.advance).run()
        wall = time.perf_counter() - started
        lanes.sample()
        emulated = (local.arm.clock.now() - began).total_seconds()
        jobs = Counter(f"{j.kind}:{j.state.value}" for j in get_deps().jobs.list())
    finally:
        bootstrap.reset()
    rounds = max(math.ceil(n / cap) for n in disks.values())
    bound = rounds * copy_minutes() * 60
    return VmRunResult(
        count, cap, wall, emulated, bound, max(lanes.peak.values(), default=0), lanes.refused(),
        jobs, sum(local.arm.log.counts().values()), counter.calls, stats.busy_seconds,
    )  # fmt: skip


def section(count: int, workers: int, subscriptions: int, cap: int) -> tuple[list[str], Any]:
    """Run the VM section on a fresh emulator; return (report lines, figures)."""
    from bench.remote import remote_azure
    from emulator.stack import app_environment

    subs = _subscriptions(subscriptions)
    env = {
        "LIFEBOAT_SUBSCRIPTIONS": ",".join(subs),
        "LIFEBOAT_PRIMARY_REGIONS": ",".join(PRIMARY_REGIONS),
        "LIFEBOAT_COPY_CONCURRENCY": str(cap),
        # Two primary regions, two DR regions: one DR resource group per DR region.
        "LIFEBOAT_DR_RESOURCE_GROUP": "lifeboat-dr-{region}",
    }
    with remote_azure(subs[0]) as local, app_environment(env):
        result = run_vms(local, count, workers, subs, cap)
    failed = sum(n for k, n in result.jobs.items() if not k.endswith(":succeeded"))
    ratio = result.emulated / result.bound if result.bound else 0.0
    lines = [
        f"\nVM protection: {count} VMs x {DISKS_PER_VM} disks, {subscriptions} subscriptions x "
        f"{len(PRIMARY_REGIONS)} primary regions, snapshot mode, cap {cap} copies per lane",
        f"  emulated wall {result.emulated / 60:.1f} min = {ratio:.2f}x the bound "
        f"{result.bound / 60:.1f} min (rounds of {cap} copies x {copy_minutes():.0f} min); "
        f"real {result.wall:.1f} s",
        f"  peak in-flight copies per lane {result.peak} (cap {cap}); refused copies "
        f"{result.refused}; jobs {dict(sorted(result.jobs.items()))}",
        f"  per VM: {result.per_vm(result.arm_calls):.1f} ARM calls, "
        f"{result.per_vm(result.storage_calls):.1f} storage calls, "
        f"{result.per_vm(result.worker_seconds):.3f} worker-s",
    ]
    figures = {
        "vms": count,
        "vms_peak_inflight_copies": result.peak,
        "vms_copy_cap": cap,
        "vms_refused_copies": result.refused,
        "vms_failed_jobs": failed,
        "vms_wall_to_bound": round(ratio, 3),
        "vms_emulated_wall_min": round(result.emulated / 60, 2),
        "vms_real_wall_s": round(result.wall, 2),
        "vms_arm_calls_per_vm": round(result.per_vm(result.arm_calls), 2),
        "vms_storage_calls_per_vm": round(result.per_vm(result.storage_calls), 2),
        "vms_worker_seconds_per_vm": round(result.per_vm(result.worker_seconds), 4),
    }
    return lines, figures
