"""Validation verdicts and the drill's evidence (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.drills import evidence
from shared.drills.spec import DrillFollowUp, DrillVm
from shared.drills.validation import Reading, Verdict, judge, probe_named
from shared.errors import InvalidInput
from shared.jobs.messages import iso
from shared.outages.cleanup import CreatedKind, CreatedResource

T0 = datetime(2030, 1, 1, tzinfo=UTC)
TIMEOUT = timedelta(minutes=15)
UP = Reading(True, "Succeeded", "running", "Available")
SUB = "00000000-0000-0000-0000-000000000001"
OTHER = "11111111-1111-1111-1111-111111111111"
VM = f"/subscriptions/{SUB}/resourceGroups/lifeboat-dr/providers/Microsoft.Compute/virtualMachines"


def test_a_running_available_vm_passes_at_the_moment_it_was_seen() -> None:
    v = judge("vm", UP, T0, T0 + timedelta(seconds=90), TIMEOUT)
    assert v.verdict is Verdict.PASSED and v.validated_at == T0 + timedelta(seconds=90)


def test_a_vm_still_starting_is_pending_then_fails_at_the_timeout() -> None:
    starting = Reading(True, "Creating", "starting", "Unknown")
    assert judge("vm", starting, T0, T0 + TIMEOUT / 2, TIMEOUT).verdict is Verdict.PENDING
    failed = judge("vm", starting, T0, T0 + TIMEOUT, TIMEOUT)
    assert failed.verdict is Verdict.FAILED
    assert "provisioningSucceeded" in failed.reason and "healthAvailable" in failed.reason
    assert failed.to_json()["evidence"]["powerState"] == "starting"


def test_a_failing_probe_fails_the_vm() -> None:
    bad = Reading(True, "Succeeded", "running", "Available", probe="HTTP 503", probe_ok=False)
    assert judge("vm", bad, T0, T0 + TIMEOUT, TIMEOUT).reason.endswith("probe failing")


def test_an_unknown_probe_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        probe_named("telnet")
    assert caught.value.field == "probe"


def test_evidence_measures_rto_per_vm_and_for_the_drill() -> None:
    vms = [DrillVm(f"{VM}/a", "src-a", "gold", 600.0, 120.0), DrillVm(f"{VM}/b", "src-b")]
    validations = {
        f"{VM}/a".lower(): judge("a", UP, T0, T0 + timedelta(seconds=700), TIMEOUT).to_json(),
        f"{VM}/b".lower(): judge("b", UP, T0, T0 + timedelta(seconds=300), TIMEOUT).to_json(),
    }
    data = {"drill_id": "ab12cd34", "plan_id": "p", "scope": "all", "validations": validations}
    doc = evidence.build(data, vms, T0, T0 + timedelta(hours=1), {"complete": True})
    assert doc["passed"] is True and doc["rtoSeconds"] == 700.0
    a, b = doc["vms"]
    assert (a["rtoSeconds"], a["rtoMet"], a["rpoSeconds"]) == (700.0, False, 120.0)
    assert (b["rtoSeconds"], b["rtoMet"]) == (300.0, None)
    assert doc["finishedAt"] == iso(T0 + timedelta(hours=1))
    assert evidence.metadata(doc)["cleancomplete"] == "true"


def test_a_followup_refuses_resources_a_drill_did_not_name() -> None:
    stray = CreatedResource(CreatedKind.DISK, f"{VM.replace('virtualMachines', 'disks')}/prod-os")
    with pytest.raises(InvalidInput) as caught:
        DrillFollowUp("ab12cd34", "p", "all", T0, [], [stray], subscriptions=(SUB,))
    assert caught.value.field == "created"
    other = CreatedResource(CreatedKind.VM, f"{VM}/x-drill-ab12cd34".replace(SUB, OTHER))
    with pytest.raises(InvalidInput) as caught:
        DrillFollowUp("ab12cd34", "p", "all", T0, [], [other], subscriptions=(SUB,))
    assert "outside the subscriptions" in caught.value.message
