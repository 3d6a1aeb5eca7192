"""`python -m bench [--builds N] [--workers W] [--latency S] [--baseline-builds B] [--rate-limits]`.

Sections: cold start; the critical-path bound (one build of each kind alone); N builds
completing at once; a one-at-a-time baseline in the same process (B builds, scaled to N and
labelled an estimate when B < N); a second run of the `reconcile` timer; optionally the N builds
again under ARM's token buckets.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
from collections import Counter

from bench import coldstart
from bench.images import RunResult, quota_floor, run_builds, second_sweep
from emulator.stack import local_azure


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=24, help="concurrent run_job invocations")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per ARM call (+-50%%)")
    parser.add_argument(
        "--baseline-builds",
        type=int,
        default=15,
        help="builds of the one-at-a-time baseline (fewer than --builds: scaled, an estimate)",
    )
    parser.add_argument("--coldstart-runs", type=int, default=7)
    parser.add_argument(
        "--rate-limits", action="store_true", help="also run N builds under ARM's token buckets"
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
    with local_azure() as local:
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


def _main_run(args: argparse.Namespace, bound: RunResult) -> tuple[RunResult, Counter[str]]:
    result, sweep = _run(args.builds, args.workers, args.latency)
    print(
        f"  {args.builds} builds at once, {args.workers} workers: {result.wall:.1f} s "
        f"= {result.wall / bound.wall:.1f}x the critical-path bound"
    )
    print(f"    {_calls(result)}; {result.calls['write'] / args.builds:.1f} writes per build")
    print(f"    jobs: {dict(sorted(result.jobs.items()))}; 429s seen: {result.faults}")
    critical = _minutes(max(bound.to_dr_ready, default=0.0))
    print(
        f"    emulated time from the events to DR-ready: {_ready_times(result)}; "
        f"critical path (one build of each kind alone): max {critical}"
    )
    _print_headroom(result)
    return result, sweep


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


def _baseline(args: argparse.Namespace, main_run: RunResult) -> None:
    base, _ = _run(args.baseline_builds, 1, args.latency)
    if args.baseline_builds >= args.builds:
        print(
            f"  one-at-a-time baseline (measured): {base.builds} builds in {base.wall:.1f} s; "
            f"speed-up {base.wall / main_run.wall:.1f}x"
        )
        return
    scaled = base.wall * args.builds / args.baseline_builds
    print(
        f"  one-at-a-time baseline: ESTIMATE, not measured: {args.baseline_builds} builds took "
        f"{base.wall:.1f} s, scaled linearly to {args.builds}: ~{scaled:.0f} s; "
        f"estimated speed-up ~{scaled / main_run.wall:.0f}x "
        f"(--baseline-builds {args.builds} measures it, ~{scaled / 60:.0f} min)"
    )


def _paced(args: argparse.Namespace) -> list[str]:
    paced, _ = _run(args.builds, args.workers, args.latency, limits=True)
    print(
        f"  under ARM's token buckets: {paced.wall:.1f} s, {paced.faults} calls answered 429; "
        f"jobs: {dict(sorted(paced.jobs.items()))}"
    )
    return _failed(paced)


def main(argv: list[str]) -> int:
    """Run every section and print the report; return 0 when every job succeeded."""
    args = _args(argv)
    logging.disable(logging.WARNING)  # the report is the output; urllib3 pool warnings are noise
    print("\n".join(coldstart.report(args.coldstart_runs)))
    print(f"\nImage DR: per-call ARM latency {args.latency * 1000:.0f} ms +-50%")
    bound, _ = _run(3, args.workers, args.latency)
    print(f"  critical-path bound: one build of each kind alone: {bound.wall:.1f} s")
    print(f"    emulated time from the events to DR-ready: {_ready_times(bound)}")
    print(f"    {_calls(bound)}")
    main_run, sweep = _main_run(args, bound)
    _baseline(args, main_run)
    writes = sweep["write"] + sweep["delete"]
    print(f"  second reconcile timer run, nothing new: {writes} ARM writes; calls {dict(sweep)}")
    failed = _failed(main_run) + (_paced(args) if args.rate_limits else [])
    return 1 if failed or writes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
