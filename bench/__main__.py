"""`python -m bench [--builds N] [--workers W] [--latency S] [--baseline-builds B] [--json PATH]`.

Sections: cold start (import and first invocation); image DR: the critical path (one build of
each kind alone), N builds completing at once against the bound, a one-at-a-time baseline (B
builds, scaled to N and labelled an estimate when B < N), a second run of the `reconcile` timer,
optionally the N builds again under ARM's token buckets. The ARM emulator runs in its own
process. Each section prints its lines and returns its figures; all figures go to one JSON file
(stable keys, one prefix per section: `coldstart_*`/`first_invocation_*`, image DR without a
prefix for the keys the goals name; later features add `vms_*`, `outage_*`, `drill_*`).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import coldstart, outage, outage_rto
from bench import drills as drills_bench
from bench import vms as vms_bench
from bench.images import RunResult, quota_floor, run_builds, second_sweep
from bench.remote import remote_azure

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / ".lifeboat-local" / "bench.json"
Figures = dict[str, Any]


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=24, help="concurrent run_job invocations")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.05,
        help="least seconds per ARM call; each call adds a uniform 0..latency/2 (50-75 ms)",
    )
    parser.add_argument(
        "--baseline-builds",
        type=int,
        default=15,
        help="builds of the one-at-a-time baseline (fewer than --builds: scaled, an estimate)",
    )
    parser.add_argument("--coldstart-runs", type=int, default=7)
    parser.add_argument("--outage-vms", type=int, default=100, help="VMs of the outage plan")
    parser.add_argument(
        "--drill-vms", type=int, default=drills_bench.DEFAULT_VMS, help="protected VMs of the drill"
    )
    parser.add_argument(
        "--rate-limits", action="store_true", help="also run N builds under ARM's token buckets"
    )
    parser.add_argument("--vms", type=int, default=200, help="VMs (x 3 disks) of the VM section")
    parser.add_argument("--vm-subscriptions", type=int, default=4)
    parser.add_argument("--vm-copy-cap", type=int, default=20, help="LIFEBOAT_COPY_CONCURRENCY")
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"figures as JSON (default {DEFAULT_JSON})"
    )
    return parser.parse_args(argv)


def _calls(result: RunResult) -> str:
    c = result.calls
    return (
        f"{sum(c.values())} ARM calls: {c['read']} reads, {c['write']} writes, "
        f"{c['delete']} deletes, {c['action']} actions"
    )


def _run(
    builds: int, workers: int, latency: float, limits: bool = False
) -> tuple[RunResult, Counter[str]]:
    with remote_azure() as local:
        result = run_builds(local, builds, workers, latency, limits)
        sweep = second_sweep(local)
    return result, sweep


def _failed(result: RunResult) -> list[str]:
    return [k for k in result.jobs if not k.endswith(":succeeded")]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _ready_times(result: RunResult) -> str:
    times = result.to_dr_ready
    if not times:
        return "no artifact DR-ready"
    return (
        f"median {_minutes(statistics.median(times))}, max {_minutes(max(times))} "
        f"({len(times)} artifacts)"
    )


def _main_run(args: argparse.Namespace, critical: RunResult) -> tuple[RunResult, Figures]:
    """N builds at once against the bound: max(critical path, builds x worker-s/build / W)."""
    result, sweep = _run(args.builds, args.workers, args.latency)
    bound = max(critical.wall, result.busy_bound)
    binds = "the critical path" if critical.wall >= result.busy_bound else "worker time"
    print(
        f"  {args.builds} builds at once, {args.workers} workers: {result.wall:.1f} s "
        f"= {result.wall / bound:.2f}x the bound {bound:.1f} s ({binds} binds: critical path "
        f"{critical.wall:.1f} s; {result.per_build(result.worker_seconds):.2f} worker-s per "
        f"build x {args.builds} / {args.workers} workers = {result.busy_bound:.1f} s)"
    )
    print(f"    {_calls(result)}; {result.per_build(result.calls['write']):.1f} writes per build")
    print(
        f"    storage requests by the app: {result.storage_calls} "
        f"({result.per_build(result.storage_calls):.1f} per build)"
    )
    print(f"    jobs: {dict(sorted(result.jobs.items()))}; 429s seen: {result.faults}")
    longest = _minutes(max(critical.to_dr_ready, default=0.0))
    print(
        f"    emulated time from the events to DR-ready: {_ready_times(result)}; "
        f"critical path (one build of each kind alone): max {longest}"
    )
    _print_headroom(result)
    writes = sweep["write"] + sweep["delete"]
    print(f"  second reconcile timer run, nothing new: {writes} ARM writes; calls {dict(sweep)}")
    figures: Figures = {
        "builds": args.builds,
        "workers": args.workers,
        "arm_latency_ms": [args.latency * 1000, args.latency * 1500],
        "arm_calls_per_build": round(result.per_build(sum(result.calls.values())), 2),
        "arm_reads_per_build": round(result.per_build(result.calls["read"]), 2),
        "arm_writes_per_build": round(result.per_build(result.calls["write"]), 2),
        "storage_calls_per_build": round(result.per_build(result.storage_calls), 2),
        "worker_seconds_per_build": round(result.per_build(result.worker_seconds), 3),
        "critical_path_s": round(critical.wall, 2),
        "wall_s": round(result.wall, 2),
        "bound_s": round(bound, 2),
        "wall_to_bound": round(result.wall / bound, 3),
        "faults_429": result.faults,
        "jobs_failed": len(_failed(result)),
        "dr_ready_median_min": round(statistics.median(result.to_dr_ready) / 60, 2)
        if result.to_dr_ready
        else None,
        "second_sweep_writes": writes,
    }
    return result, figures


def _print_headroom(result: RunResult) -> None:
    print(
        f"  demand against ARM's per-principal token buckets (capacity, refill/s), on the "
        f"production timeline ({_minutes(result.span)}: real seconds + emulated waits):"
    )
    for op, (peak, lowest, refused) in result.headroom.items():
        print(
            f"    {op:<7} peak {peak:>4}/s  lowest bucket level {lowest:>5.0f}  "
            f"calls a real bucket would have throttled: {refused}"
        )
    op, floor = quota_floor(result.calls)
    refused = result.headroom[op][2]
    verdict = (
        "sets the pace"
        if floor > result.span
        else f"delays the bursts ({refused} calls) but does not set the pace"
        if refused
        else "never binds"
    )
    print(
        f"    the {op} quota alone needs >= {floor:.0f} s for these calls; the run spans "
        f"{result.span:.0f} s: the bucket {verdict}"
    )


def _baseline(args: argparse.Namespace, main_run: RunResult) -> Figures:
    base, _ = _run(args.baseline_builds, 1, args.latency)
    if args.baseline_builds >= args.builds:
        print(
            f"  one-at-a-time baseline (measured): {base.builds} builds in {base.wall:.1f} s; "
            f"speed-up {base.wall / main_run.wall:.1f}x"
        )
        return {"baseline_s": round(base.wall, 2), "baseline_estimated": False}
    scaled = base.wall * args.builds / args.baseline_builds
    print(
        f"  one-at-a-time baseline: ESTIMATE, not measured: {args.baseline_builds} builds took "
        f"{base.wall:.1f} s, scaled linearly to {args.builds}: ~{scaled:.0f} s; "
        f"estimated speed-up ~{scaled / main_run.wall:.0f}x "
        f"(--baseline-builds {args.builds} measures it, ~{scaled / 60:.0f} min)"
    )
    return {"baseline_s": round(scaled, 2), "baseline_estimated": True}


def _paced(args: argparse.Namespace) -> Figures:
    paced, _ = _run(args.builds, args.workers, args.latency, limits=True)
    print(
        f"  under ARM's token buckets: {paced.wall:.1f} s, {paced.faults} calls answered 429; "
        f"jobs: {dict(sorted(paced.jobs.items()))}"
    )
    return {
        "paced_wall_s": round(paced.wall, 2),
        "paced_faults_429": paced.faults,
        "paced_jobs_failed": len(_failed(paced)),
    }


def coldstart_section(args: argparse.Namespace) -> Figures:
    """Cold start: import and first invocation against a bare azure.functions import."""
    lines, figures = coldstart.section(args.coldstart_runs)
    print("\n".join(lines))
    return figures


def images_section(args: argparse.Namespace) -> Figures:
    """Image DR on the emulator: N builds at once, bound, baseline, second sweep, quota."""
    print(
        f"\nImage DR: per-call ARM latency {args.latency * 1000:.0f}-{args.latency * 1500:.0f} ms "
        f"(uniform); the ARM emulator in its own process"
    )
    critical, _ = _run(3, args.workers, args.latency)
    print(f"  critical path: one build of each kind alone: {critical.wall:.1f} s")
    print(f"    emulated time from the events to DR-ready: {_ready_times(critical)}")
    print(f"    {_calls(critical)}")
    main_run, figures = _main_run(args, critical)
    figures.update(_baseline(args, main_run))
    if args.rate_limits:
        figures.update(_paced(args))
    return figures


def vms_section(args: argparse.Namespace) -> Figures:
    """VM protection on the emulator: N VMs at once, copies under the cap, against the bound."""
    lines, figures = vms_bench.section(
        args.vms, args.workers, args.vm_subscriptions, args.vm_copy_cap
    )
    print("\n".join(lines))
    result: Figures = figures
    return result


def outage_section(args: argparse.Namespace) -> Figures:
    """Outage RTO: a 100-VM DR plan executed on the emulator (bench/outage_rto.py)."""
    return outage_rto.section(args)


def outage_plan_section(args: argparse.Namespace) -> Figures:
    """Outage planning: webhook to stored plan for 100 VMs, duplicates (bench/outage.py)."""
    return outage.section(args)


def drill_section(args: argparse.Namespace) -> Figures:
    """Drills: one drill of N protected VMs, start to evidence (bench/drills.py)."""
    return drills_bench.section(args)


# Each section prints its part of the report and returns its figures (prefixed keys). A feature
# adds its own section here (`vms_*`, `outage_*`, `drill_*`); `failed` reads the merged figures.
Section = Callable[[argparse.Namespace], Figures]
SECTIONS: tuple[Section, ...] = (
    coldstart_section,
    images_section,
    vms_section,
    outage_plan_section,
    outage_section,
    drill_section,
)
FAILURE_KEYS = (
    "jobs_failed",
    "paced_jobs_failed",
    "second_sweep_writes",
    "vms_failed_jobs",
    "vms_refused_copies",
    "outage_items_failed",
    "drill_leftover_resources",
    "drill_jobs_failed",
)


def write_json(path: Path, figures: Figures) -> None:
    """Write the figures to `path` (parent folders created), keys sorted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def main(argv: list[str]) -> int:
    """Run every section, print the report, write the JSON; return 0 when nothing failed."""
    args = _args(argv)
    logging.disable(logging.WARNING)  # the report is the output; urllib3 pool warnings are noise
    started = time.perf_counter()
    figures: Figures = {}
    for section in SECTIONS:
        figures.update(section(args))
    figures["bench_seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.json, figures)
    print(f"\nfigures: {args.json}")
    return 1 if any(figures.get(key) for key in FAILURE_KEYS) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
