"""checkov scans infra/ (framework bicep): no failed check, and every skip says why.

checkov pins pycep-parser and packaging versions that conflict with requirements-dev.txt, so it
lives in its own venv (.venv/checkov, from infra/requirements-checkov.txt). Outside CI a missing
checkov skips these tests; in CI it fails them, so a green run never hides the scan.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.bicep import INFRA, ROOT, Scope, bicep_files

CANDIDATES = (ROOT / ".venv" / "checkov" / "bin" / "checkov",)
# No call home: no Prisma Cloud mappings download, no PyPI version check.
OFFLINE = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"}
ARGS = ("--framework", "bicep", "--output", "json", "--compact", "--skip-download")


def find_checkov() -> str | None:
    """Return the checkov executable: $LIFEBOAT_CHECKOV, .venv/checkov, or PATH."""
    configured = os.environ.get("LIFEBOAT_CHECKOV")
    if configured:
        return configured
    for candidate in CANDIDATES:
        if candidate.is_file():
            return str(candidate)
    return shutil.which("checkov")


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """Run checkov once over infra/ and return its JSON report."""
    checkov = find_checkov()
    if checkov is None:
        message = (
            "checkov not installed: python3.11 -m venv .venv/checkov && "
            ".venv/checkov/bin/pip install -r infra/requirements-checkov.txt"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(
        [checkov, "--directory", str(INFRA), *ARGS],
        cwd=ROOT,
        env={**os.environ, **OFFLINE},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), f"checkov crashed ({done.returncode}):\n{done.stderr[-3000:]}"
    parsed = json.loads(done.stdout)
    (bicep,) = [
        r
        for r in (parsed if isinstance(parsed, list) else [parsed])
        if r.get("check_type") == "bicep"
    ]
    return dict(bicep)


def test_checkov_parses_every_bicep_file(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, summary
    declared = sum(len(Scope(p).section("resources")) for p in bicep_files())
    assert summary["resource_count"] >= declared, "checkov saw fewer resources than pycep"


def test_checkov_scanned_every_file_with_resources(report: dict[str, Any]) -> None:
    results = report["results"]
    seen = {
        Path(c["file_abs_path"]).resolve()
        for kind in ("passed_checks", "failed_checks", "skipped_checks")
        for c in results[kind]
    }
    checked_types = {"microsoft.storage/storageaccounts", "microsoft.web/sites"}
    for path in bicep_files():
        declared = Scope(path).section("resources").values()
        if any(r["type"].lower() in checked_types and not r["existing"] for r in declared):
            assert path.resolve() in seen, f"checkov ran no check on {path.name}"


def test_checkov_reports_no_failed_check(report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert not failed, (
        "fix, or skip inside the resource with `// checkov:skip=ID:reason`:\n" + "\n".join(failed)
    )


def test_every_checkov_skip_states_a_reason(report: dict[str, Any]) -> None:
    for check in report["results"]["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 30 and reason != "No comment provided", (
            f"{check['check_id']} on {check['resource']} is skipped without a reason"
        )
