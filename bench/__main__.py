"""`python -m bench [--builds N] [--workers W] [--latency S] [--baseline-builds B] [--rate-limits]`.

Sections: cold start; the critical-path bound (one build of each kind alone); N builds
completing at once; a one-at-a-time baseline in the same process; a second sweep; optionally
the N builds again under ARM's token buckets.
"""

from __future__ import annotations

import argparse
import logging
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
    parser.add_argument("--baseline-builds", type=int, default=15, help="one-at-a-time sample")
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


def _main_run(args: argparse.Namespace, bound: RunResult) -> tuple[RunResult, Counter[str]]:
    result, sweep = _run(args.builds, args.workers, args.latency)
    print(
        f"  {args.builds} builds at once, {args.workers} workers: {result.wall:.1f} s "
        f"= {result.wall / bound.wall:.1f}x the critical-path bound"
    )
    print(f"    {_calls(result)}; {result.calls['write'] / args.builds:.1f} writes per build")
    print(f"    jobs: {dict(sorted(result.jobs.items()))}; 429s seen: {result.faults}")
    print("  demand against ARM's per-principal token buckets (capacity, refill/s):")
    for op, (peak, lowest, refused) in result.headroom.items():
        print(
            f"    {op:<7} peak {peak:>4}/s  lowest bucket level {lowest:>5.0f}  "
            f"calls a real bucket would have throttled: {refused}"
        )
    op, floor = quota_floor(result.calls)
    print(f"    under ARM's buckets the {op} quota alone needs >= {floor:.0f} s for this run")
    return result, sweep


def _baseline(args: argparse.Namespace, main_run: RunResult) -> None:
    base, _ = _run(args.baseline_builds, 1, args.latency)
    scaled = base.wall * args.builds / args.baseline_builds
    print(
        f"  one-at-a-time baseline: {args.baseline_builds} builds in {base.wall:.1f} s "
        f"-> {scaled:.0f} s for {args.builds} (linear); speed-up {scaled / main_run.wall:.1f}x"
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
    print(f"    {_calls(bound)}")
    main_run, sweep = _main_run(args, bound)
    _baseline(args, main_run)
    writes = sweep["write"] + sweep["delete"]
    print(f"  second sweep with nothing new: {writes} ARM writes; calls {dict(sweep)}")
    failed = _failed(main_run) + (_paced(args) if args.rate_limits else [])
    return 1 if failed or writes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
