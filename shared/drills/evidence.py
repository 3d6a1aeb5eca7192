"""A drill's evidence, pure: plan, timings, validation, RTO per VM and for the drill, RPO, cleanup.

RTO of a VM is drill start → VM validated; the drill's RTO is its slowest VM (None when any VM
failed validation: the drill did not recover everything). Each VM's RTO is compared with the
target RTO of its tier when one is known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shared.drills.spec import DrillVm
from shared.jobs.messages import iso, parse_time

RECORD_PREFIX = "drills/"


def record_name(drill_id: str) -> str:
    """The record holding one drill's evidence in DR-region storage."""
    return f"{RECORD_PREFIX}{drill_id}.json"


def _rto(started: datetime, validation: Mapping[str, Any] | None) -> float | None:
    at = (validation or {}).get("validatedAt")
    return None if not at else (parse_time(at) - started).total_seconds()


def vm_results(
    started: datetime, vms: Sequence[DrillVm], validations: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Per VM: verdict, RTO (seconds), its tier's target and whether it was met, RPO used."""
    out = []
    for vm in vms:
        validation = validations.get(vm.vm_id.lower())
        rto = _rto(started, validation)
        target = vm.rto_target_seconds
        out.append(
            {
                "vmId": vm.vm_id,
                "sourceVmId": vm.source_vm_id,
                "tier": vm.tier,
                "verdict": (validation or {}).get("verdict", "pending"),
                "rtoSeconds": rto,
                "rtoTargetSeconds": target,
                "rtoMet": None if rto is None or target is None else rto <= target,
                "rpoSeconds": vm.rpo_seconds,
                "validation": validation,
            }
        )
    return out


def build(
    data: Mapping[str, Any],
    vms: Sequence[DrillVm],
    started: datetime,
    finished: datetime,
    cleanup: Mapping[str, Any],
) -> dict[str, Any]:
    """The drill's evidence document from its follow-up job data."""
    results = vm_results(started, vms, data.get("validations") or {})
    rtos = [r["rtoSeconds"] for r in results]
    passed = bool(results) and all(r["verdict"] == "passed" for r in results)
    drill_rto = max(rtos) if passed and rtos else None
    targets = [r["rtoTargetSeconds"] for r in results if r["rtoTargetSeconds"] is not None]
    return {
        "drillId": data["drill_id"],
        "planId": data.get("plan_id"),
        "scope": data.get("scope"),
        "startedAt": iso(started),
        "validatedAt": data.get("validated_at"),
        "cleanupStartedAt": data.get("hold_until"),
        "finishedAt": iso(finished),
        "passed": passed,
        "rtoSeconds": drill_rto,
        "rtoTargetSeconds": min(targets) if targets else None,
        "vms": results,
        "cleanup": dict(cleanup),
    }


def metadata(evidence: Mapping[str, Any]) -> dict[str, str]:
    """The listable metadata of an evidence record (for the status's last N drills)."""
    return {
        "drillid": str(evidence["drillId"]),
        "scope": str(evidence.get("scope") or ""),
        "finishedat": str(evidence["finishedAt"]),
        "passed": "true" if evidence["passed"] else "false",
        "cleancomplete": "true" if evidence["cleanup"].get("complete") else "false",
    }
