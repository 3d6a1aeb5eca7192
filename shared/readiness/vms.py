"""Ledger items of VM protection: every protected VM (target: its schedule) and every tagged VM
that cannot be protected; read through shared.vms.status (DR-region storage only)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.readiness.model import Finding, LedgerItem, State, measured

if TYPE_CHECKING:
    from shared.bootstrap import Deps


def _name(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _fix(finding: dict[str, str]) -> str:
    if finding.get("tag"):
        return f"fix tag {finding['tag']} (now {finding.get('value')!r}), see docs/vms.md"
    return "see docs/vms.md for this finding"


def vm_items(deps: Deps, now: datetime) -> list[LedgerItem]:
    """Return one item per VM the last discovery saw, protected or refused."""
    from shared.vms.status import vm_status

    report = vm_status(deps, now)
    fraction = deps.settings.readiness_at_risk_fraction
    items = []
    for vm in report["protected"]:
        captured = vm.get("captured_at")
        findings = []
        if not captured:
            findings.append(
                Finding(
                    "no_complete_set",
                    "no complete recovery set in the DR region yet",
                    "wait for the first scheduled set, or POST /api/vms/protect with this VM",
                )
            )
        if vm.get("consistency") and vm["consistency"] != "application":
            findings.append(
                Finding(
                    "consistency",
                    f"newest set is {vm['consistency']}-consistent",
                    "use lifeboat-mode=clean for an application-consistent copy if needed",
                )
            )
        schedule = vm.get("schedule") or "?"
        tier = f", tier {vm['tier']}" if vm.get("tier") else ""
        items.append(
            measured(
                "vm",
                str(vm["vm_id"]),
                str(vm.get("name") or _name(str(vm["vm_id"]))),
                datetime.fromisoformat(captured) if captured else None,
                now,
                target=float(vm["rpo_seconds"]),
                target_source=f"schedule {schedule}{tier}",
                at_risk_fraction=fraction,
                findings=tuple(findings),
            )
        )
    for vm in report["unprotected"]:
        refused = tuple(
            Finding(str(f.get("code")), str(f.get("message")), _fix(f))
            for f in vm.get("findings") or ()
        )
        items.append(
            LedgerItem(
                "vm",
                str(vm["vm_id"]),
                _name(str(vm["vm_id"])),
                None,
                None,
                None,
                "none: cannot be protected",
                State.UNPROTECTED,
                refused,
            )
        )
    return items
