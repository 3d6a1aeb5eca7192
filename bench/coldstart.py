"""Cold start: import time and peak memory of function_app vs a bare azure.functions import."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import json, resource, sys, time
trace = sys.argv[2] == "trace"
if trace:
    import tracemalloc
    tracemalloc.start()
started = time.perf_counter()
__import__(sys.argv[1])
seconds = time.perf_counter() - started
peak = tracemalloc.get_traced_memory()[1] if trace else 0
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "traced_peak": peak, "max_rss_kib": rss_kib}))
"""


@dataclass(frozen=True)
class ImportCost:
    """Medians over fresh interpreters: import seconds, peak RSS, peak Python allocations."""

    module: str
    seconds: float
    max_rss_mib: float
    traced_peak_mib: float
    runs: int


def _probe(module: str, trace: bool) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("LIFEBOAT_")}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, module, "trace" if trace else "time"],
        capture_output=True, text=True, check=True, cwd=ROOT, env=env,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(module: str, runs: int = 7) -> ImportCost:
    """Return the median import cost of `module`, each run in a fresh interpreter."""
    timed = [_probe(module, trace=False) for _ in range(runs)]
    traced = [_probe(module, trace=True) for _ in range(max(3, runs // 2))]
    return ImportCost(
        module,
        statistics.median(r["seconds"] for r in timed),
        statistics.median(r["max_rss_kib"] for r in timed) / 1024,
        statistics.median(r["traced_peak"] for r in traced) / (1024 * 1024),
        runs,
    )


def report(runs: int = 7) -> list[str]:
    """Return the cold-start section of the benchmark report."""
    bare = measure("azure.functions", runs)
    app = measure("function_app", runs)
    lines = [
        "Cold start (median of fresh interpreters; peak RSS from getrusage, Python peak from "
        "tracemalloc in separate runs)",
        f"  {'module':<18}{'import s':>10}{'peak RSS MiB':>14}{'py peak MiB':>13}",
    ]
    for cost in (bare, app):
        lines.append(
            f"  {cost.module:<18}{cost.seconds:>10.3f}{cost.max_rss_mib:>14.1f}"
            f"{cost.traced_peak_mib:>13.1f}"
        )
    lines.append(
        f"  function_app costs +{app.seconds - bare.seconds:.3f} s and "
        f"+{app.max_rss_mib - bare.max_rss_mib:.1f} MiB RSS over a bare azure.functions import "
        f"({runs} runs each)"
    )
    return lines
