"""A drill's evidence, pure: plan, timings, validation, RTO per VM and for the drill, RPO, cleanup.

RTO of a VM is drill start → VM validated; the drill's RTO is its slowest VM (None when any VM
failed validation: the drill did not recover everything). Each VM's RTO is compared with the
target RTO of its tier when one is known (LIFEBOAT_TIER_RTO_TARGETS); per tier, the slowest VM
against the tier's target; the drill's RTO against the strictest target of its VMs.
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


def _met(rto: float | None, target: float | None) -> bool | None:
    return None if rto is None or target is None else rto <= target


def tier_results(results: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per tier ('' for untagged VMs): VMs, target, the slowest RTO (None when a VM of the tier
    was not validated) and whether the target was met."""
    tiers: dict[str, list[Mapping[str, Any]]] = {}
    for r in results:
        tiers.setdefault(str(r.get("tier") or ""), []).append(r)
    out = {}
    for tier, members in sorted(tiers.items()):
        rtos = [m["rtoSeconds"] for m in members]
        slowest = None if any(x is None for x in rtos) else max(rtos)
        target = members[0]["rtoTargetSeconds"]
        met = _met(slowest, target)
        if target is not None and slowest is None:
            met = False  # a VM of the tier never recovered: its target was missed
        out[tier] = {
            "vms": len(members),
            "rtoSeconds": slowest,
            "rtoTargetSeconds": target,
            "rtoMet": met,
        }
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
    target = min(targets) if targets else None
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
        "rtoTargetSeconds": target,
        "rtoMet": (False if not passed else _met(drill_rto, target)) if target else None,
        "tiers": tier_results(results),
        "vms": results,
        "cleanup": dict(cleanup),
    }


def _flag(value: Any) -> str:
    return "" if value is None else ("true" if value else "false")


def metadata(evidence: Mapping[str, Any]) -> dict[str, str]:
    """The listable metadata of an evidence record (for the status's last N drills)."""
    return {
        "drillid": str(evidence["drillId"]),
        "scope": str(evidence.get("scope") or ""),
        "finishedat": str(evidence["finishedAt"]),
        "passed": "true" if evidence["passed"] else "false",
        "cleancomplete": "true" if evidence["cleanup"].get("complete") else "false",
        "rtoseconds": "" if evidence.get("rtoSeconds") is None else str(evidence["rtoSeconds"]),
        "rtotargetseconds": (
            "" if evidence.get("rtoTargetSeconds") is None else str(evidence["rtoTargetSeconds"])
        ),
        "rtomet": _flag(evidence.get("rtoMet")),
    }
