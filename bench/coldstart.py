"""Cold start: importing function_app, and answering the first GET /api/status, vs azure.functions.

Both are measured in fresh interpreters against one baseline (a bare `import azure.functions`),
so cost moved from indexing into the first invocation shows up in the second figure.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

# The first invocation: import the app as the host does, then answer GET /api/status.
_FIRST_CALL = """
import json, resource, time
started = time.perf_counter()
import azure.functions as func
import function_app
from functions.status import status
response = status(func.HttpRequest("GET", "/api/status", body=b"", params={}))
seconds = time.perf_counter() - started
assert response.status_code == 200, response.get_body()
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "max_rss_kib": rss_kib}))
"""


@dataclass(frozen=True)
class ImportCost:
    """Medians over fresh interpreters: import seconds, peak RSS, peak Python allocations."""

    module: str
    seconds: float
    max_rss_mib: float
    traced_peak_mib: float
    runs: int


def _clean_env(settings: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("LIFEBOAT_")}
    env.pop("AzureWebJobsStorage", None)
    return {**env, **(settings or {})}


def _run(code: str, *args: str, settings: Mapping[str, str] | None = None) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, check=True, cwd=ROOT, env=_clean_env(settings),
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _probe(module: str, trace: bool) -> dict[str, float]:
    return _run(_PROBE, module, "trace" if trace else "time")


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


@dataclass(frozen=True)
class FirstCall:
    """Medians over fresh interpreters: seconds from the first import to the answer, peak RSS."""

    seconds: float
    max_rss_mib: float
    runs: int


def first_invocation(settings: Mapping[str, str], runs: int = 5) -> FirstCall:
    """Return the median cost of a fresh worker's first GET /api/status under `settings`."""
    timed = [_run(_FIRST_CALL, settings=settings) for _ in range(runs)]
    return FirstCall(
        statistics.median(r["seconds"] for r in timed),
        statistics.median(r["max_rss_kib"] for r in timed) / 1024,
        runs,
    )


def section(runs: int = 7) -> tuple[list[str], dict[str, Any]]:
    """Return the cold-start section of the report and its figures (`coldstart_*` keys)."""
    from emulator.stack import app_settings, local_azure

    bare = measure("azure.functions", runs)
    app = measure("function_app", runs)
    with local_azure() as local:
        first = first_invocation(app_settings(local.arm, local.azurite, local.subscription))
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
    lines.extend(
        (
            f"  function_app costs {app.seconds - bare.seconds:+.3f} s and "
            f"+{app.max_rss_mib - bare.max_rss_mib:.1f} MiB RSS over a bare azure.functions import "
            f"({runs} runs each): {app.seconds / bare.seconds:.2f}x the time",
            f"  first invocation (import the app, answer GET /api/status against the emulator "
            f"and Azurite): {first.seconds:.3f} s, peak RSS {first.max_rss_mib:.1f} MiB = "
            f"{first.seconds / bare.seconds:.2f}x a bare azure.functions import "
            f"({first.runs} runs)",
        )
    )
    figures = {
        "coldstart_import_s": round(app.seconds, 4),
        "coldstart_baseline_import_s": round(bare.seconds, 4),
        "coldstart_ratio": round(app.seconds / bare.seconds, 3),
        "coldstart_rss_delta_mb": round(app.max_rss_mib - bare.max_rss_mib, 2),
        "first_invocation_s": round(first.seconds, 4),
        "first_invocation_ratio": round(first.seconds / bare.seconds, 3),
        "first_invocation_rss_mb": round(first.max_rss_mib, 2),
    }
    return lines, figures
