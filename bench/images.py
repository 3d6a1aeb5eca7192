"""Image DR throughput: N builds completing at once, replicated by concurrent workers."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from bench.remote import RemoteAzure
from bench.wire import StorageCounter, app_call

KINDS = ("SharedImage", "ManagedImage", "VHD")
RG = "bench"
# ARM token buckets per principal and region (azure-facts §6): (capacity, refill per second).
BUCKETS = {"read": (250, 25.0), "write": (200, 10.0), "delete": (200, 10.0)}


def _ids(sub: str) -> dict[str, str]:
    base = f"/subscriptions/{sub}/resourceGroups/{RG}/providers"
    return {
        "identity": f"{base}/Microsoft.ManagedIdentity/userAssignedIdentities/aib",
        "gallery": f"{base}/Microsoft.Compute/galleries/golden",
        "templates": f"{base}/Microsoft.VirtualMachineImages/imageTemplates",
        "images": f"{base}/Microsoft.Compute/images",
    }


def _distribute(ids: dict[str, str], name: str, kind: str) -> dict[str, Any]:
    if kind == "SharedImage":
        definition = f"{ids['gallery']}/images/{name}"
        regions = [{"name": "eastus", "replicaCount": 1}]
        return {"type": kind, "runOutputName": name, "galleryImageId": definition,
                "targetRegions": regions}  # fmt: skip
    if kind == "ManagedImage":
        return {"type": kind, "runOutputName": name, "imageId": f"{ids['images']}/{name}",
                "location": "eastus"}  # fmt: skip
    return {"type": kind, "runOutputName": name}


def estate(sub: str, count: int) -> tuple[dict[str, Any], list[str]]:
    """Return an estate of `count` templates (one distribute target each, kinds in turn)."""
    ids = _ids(sub)
    resources: list[dict[str, Any]] = [
        {"id": ids["identity"], "location": "eastus"},
        {"id": ids["gallery"], "location": "eastus", "properties": {}},
    ]
    names = []
    for i in range(count):
        name, kind = f"app{i:03d}", KINDS[i % len(KINDS)]
        names.append(name)
        if kind == "SharedImage":
            identifier = {"publisher": "Bench", "offer": name, "sku": "1"}
            resources.append({
                "id": f"{ids['gallery']}/images/{name}", "location": "eastus",
                "properties": {"osType": "Linux", "osState": "Generalized",
                               "hyperVGeneration": "V2", "identifier": identifier},
            })  # fmt: skip
        resources.append({
            "id": f"{ids['templates']}/{name}", "location": "eastus",
            "identity": {"type": "UserAssigned", "userAssignedIdentities": {ids["identity"]: {}}},
            "properties": {
                "source": {"type": "PlatformImage", "publisher": "Canonical", "offer": "ubuntu",
                           "sku": "22_04-lts-gen2", "version": "latest"},
                "distribute": [_distribute(ids, name, kind)],
            },
        })  # fmt: skip
    return {"resources": resources}, names


def _event(sub: str, template_id: str) -> Any:
    import azure.functions as func

    data: dict[str, object] = {
        "operationName": "Microsoft.VirtualMachineImages/imageTemplates/run/action",
        "status": "Succeeded",
        "resourceUri": template_id,
        "resourceProvider": "Microsoft.VirtualMachineImages",
        "subscriptionId": sub,
        "correlationId": template_id[-12:],
    }
    return func.EventGridEvent(
        id=f"bench-{template_id[-12:]}", data=data, topic=f"/subscriptions/{sub}",
        subject=template_id, event_type="Microsoft.Resources.ResourceActionSuccess",
        event_time=datetime.now(UTC), data_version="2",
    )  # fmt: skip


@dataclass
class _Sampler:
    """Samples the emulator's request log against production time, to rebuild demand per second.

    Production time is the real time spent (ARM calls, with their latency) plus the time the
    driver fast-forwarded on the emulated clock (waits on copies and replication): a call
    happens at `real elapsed + emulated elapsed`. Buckets refill on that timeline, not on the
    real seconds of the run alone (which would pile every wait's calls together).
    """

    arm: Any
    interval: float = 0.1
    samples: list[tuple[float, Counter[str]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _origin: tuple[float, datetime] | None = None

    def _counts(self) -> Counter[str]:
        counts: Counter[str] = self.arm.log.counts()
        return counts

    def now(self) -> float:
        """Seconds of production time since the start."""
        assert self._origin is not None
        real, emulated = self._origin
        jumped = float((self.arm.clock.now() - emulated).total_seconds())
        return time.monotonic() - real + jumped

    def mark(self) -> None:
        """Take a sample now (before the clock jumps: every worker is idle, counts are exact)."""
        with self._lock:
            self.samples.append((self.now(), self._counts()))

    def advance(self, seconds: float) -> None:
        """Fast-forward the emulated clock, sampling on both sides of the jump."""
        self.mark()
        self.arm.clock.advance(seconds)
        self.mark()

    def start(self) -> None:
        self._origin = (time.monotonic(), self.arm.clock.now())
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.mark()
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self.mark()

    def headroom(self) -> dict[str, tuple[int, float, int]]:
        """Per op type: (peak calls in 1 s, lowest bucket level, calls a bucket would refuse)."""
        samples = sorted(self.samples, key=lambda s: s[0])
        out: dict[str, tuple[int, float, int]] = {}
        for op, (capacity, refill) in BUCKETS.items():
            tokens, lowest, refused, peak = float(capacity), float(capacity), 0, 0
            for (t0, c0), (t1, c1) in itertools.pairwise(samples):
                tokens = min(capacity, tokens + (t1 - t0) * refill) - (c1[op] - c0[op])
                lowest = min(lowest, max(0.0, tokens))
                if tokens < 0:
                    refused += int(-tokens)
                    tokens = 0.0
            for i, (t0, c0) in enumerate(samples):
                later = [c for t, c in samples[i:] if t - t0 <= 1.0]
                peak = max(peak, later[-1][op] - c0[op])
            out[op] = (peak, lowest, refused)
        return out


def quota_floor(calls: Counter[str]) -> tuple[str, float]:
    """The operation type whose bucket binds, and the least time its calls need under it."""
    floors = {op: max(0.0, (calls[op] - cap) / refill) for op, (cap, refill) in BUCKETS.items()}
    binding = max(floors, key=lambda op: floors[op])
    return binding, floors[binding]


@dataclass(frozen=True)
class RunResult:
    """One measured run: wall seconds, ARM calls by type, job outcomes, demand vs quota.

    `span` is the run's production time (real seconds plus fast-forwarded waits);
    `to_dr_ready` the emulated seconds from the events to each artifact's DR-ready record;
    `worker_seconds` the real seconds spent inside the app's entry points (event handlers and
    run_job), summed over workers; `storage_calls` the storage requests those entry points sent.
    """

    builds: int
    workers: int
    wall: float
    calls: Counter[str]
    jobs: Counter[str]
    headroom: dict[str, tuple[int, float, int]]
    faults: int
    span: float = 0.0
    to_dr_ready: tuple[float, ...] = ()
    worker_seconds: float = 0.0
    storage_calls: int = 0

    def per_build(self, value: float) -> float:
        """`value` divided by the number of builds."""
        return value / self.builds if self.builds else 0.0

    @property
    def busy_bound(self) -> float:
        """The least wall time `workers` could need for this much work: worker-seconds / W."""
        return self.worker_seconds / self.workers


def _finish_builds(local: RemoteAzure, count: int) -> list[str]:
    """Seed `count` templates, start every run, and move the clock past their end."""
    from shared.bootstrap import get_deps

    arm, sub = local.arm, local.subscription
    body, names = estate(sub, count)
    arm.seed(body)
    ops = get_deps().clients.image_builder(sub).virtual_machine_image_templates
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: ops.begin_run(RG, n, polling=False), names))
    arm.clock.advance(40 * 60)  # every build has just completed
    return [f"{_ids(sub)['templates']}/{n}" for n in names]


def _deliver(sub: str, template_id: str) -> float:
    """Deliver one run event as Event Grid does: again while the handler fails (throttled).

    Returns the real seconds spent inside the handler (its worker-seconds).
    """
    from functions.resource_events import on_resource_event

    busy = 0.0
    for attempt in range(30):
        started = time.perf_counter()
        try:
            with app_call():
                on_resource_event(_event(sub, template_id))
            return busy + time.perf_counter() - started
        except Exception:  # Event Grid redelivers with backoff; so does this loop
            busy += time.perf_counter() - started
            time.sleep(min(10.0, 0.5 * 2**attempt))
    raise RuntimeError(f"the event for {template_id} was never accepted")


def _to_dr_ready(since: datetime) -> tuple[float, ...]:
    """Emulated seconds from `since` to each artifact record's DR-ready time, sorted."""
    from shared.azure.image_builds import parse_time
    from shared.bootstrap import get_deps
    from shared.images.records import list_artifacts

    ready = (parse_time(r.dr_ready_at) for r in list_artifacts(get_deps().records))
    return tuple(sorted((t - since).total_seconds() for t in ready if t is not None))


def run_builds(
    local: RemoteAzure, count: int, workers: int, latency: float, rate_limits: bool = False
) -> RunResult:
    """Seed `count` builds, finish them at once, deliver their events, drain every job.

    With `rate_limits` the emulator enforces ARM's token buckets (429 + Retry-After, slept
    for real by the SDK), so the wall time shows the quota-paced run.
    """
    from shared.bootstrap import get_deps

    arm = local.arm
    template_ids = _finish_builds(local, count)
    arm.log.clear()
    # Each call sleeps `latency` plus a uniform 0..latency/2: 50-75 ms (mean 62.5) at 50 ms.
    arm.faults.latency(latency, latency / 2)
    # The SDK sleeps Retry-After in real time: buckets must refill in real time too (the waits
    # fast-forwarded on the emulated clock then refill nothing: an upper bound on throttling).
    arm.faults.rate_limits(rate_limits, real_time=True)
    sampler, delivered = _Sampler(arm), arm.clock.now()
    azurite = local.azurite
    counter = StorageCounter({azurite.blob_port, azurite.queue_port, azurite.table_port})
    try:
        with counter.installed():
            wall, busy = _drive(local, template_ids, workers, sampler)
    finally:
        arm.faults.latency(0.0)
        arm.faults.rate_limits(False)
    entries = arm.log.entries()
    jobs = Counter(f"{j.kind}:{j.state.value}" for j in get_deps().jobs.list())
    calls: Counter[str] = Counter(str(e.op_type) for e in entries)
    faults = sum(1 for e in entries if e.status == 429)
    return RunResult(
        count, workers, wall, calls, jobs, sampler.headroom(), faults,
        sampler.samples[-1][0], _to_dr_ready(delivered), busy, counter.calls,
    )  # fmt: skip


def _drive(
    local: RemoteAzure, template_ids: list[str], workers: int, sampler: _Sampler
) -> tuple[float, float]:
    """Deliver every event and drain the jobs on the same `workers` slots, as one host does.

    The events' handlers and run_job share the slots: jobs start as soon as their event is
    handled and a slot is free. Returns (wall, worker) seconds.
    """
    from bench.driver import ConcurrentDriver
    from shared import bootstrap

    bootstrap.configure(clock=local.arm.clock.now, storage_delays=False)
    sampler.start()
    started = time.perf_counter()
    events = [partial(_deliver, local.subscription, t) for t in template_ids]
    try:
        driver = ConcurrentDriver(workers, local.arm.clock.now, sampler.advance)
        stats = driver.run(invocations=events)
        return time.perf_counter() - started, stats.busy_seconds
    finally:
        sampler.stop()
        bootstrap.reset()


def second_sweep(local: RemoteAzure) -> Counter[str]:
    """Fire the `reconcile` timer again with nothing new; return the ARM calls it made by type."""
    from azure.functions.timer import TimerRequest

    from functions.reconcile import reconcile
    from shared import bootstrap

    local.arm.log.clear()
    bootstrap.configure(clock=local.arm.clock.now, storage_delays=False)
    try:
        reconcile(TimerRequest())
    finally:
        bootstrap.reset()
    return local.arm.log.counts()
