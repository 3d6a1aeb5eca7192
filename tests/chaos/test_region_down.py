"""The primary region down: every DR-side path answers from DR-region data only."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from emulator.azurite import PRIMARY_ACCOUNT
from functions.status import status
from tests.chaos.conftest import deliver, drive, start_once
from tests.chaos.scenarios import BY_NAME, PRIMARY, Stage
from tests.plugins.chaos import tally

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def protected_estate(stage: Stage) -> None:
    """A build protected in every artifact kind, and a template backed up, before the outage."""
    build = BY_NAME["build-event"]
    build.prepare(stage)
    deliver(stage, build)
    drive(stage)
    BY_NAME["template-restore-http"].prepare(stage)  # creates and backs up the template
    stage.arm.faults.region_down(PRIMARY)
    stage.wire.sent.clear()


def get_status(stage: Stage, params: dict[str, str]) -> tuple[int, Any]:
    request = func.HttpRequest(
        method="GET", url="http://localhost:7071/api/status", headers={}, params=params,
        route_params={}, body=b"",
    )  # fmt: skip
    with stage.wire.scope("status"):
        response = status(request)
    tally("scenarios")
    return response.status_code, json.loads(response.get_body())


def primary_data_reads(stage: Stage) -> list[str]:
    """Requests the DR-side paths sent to primary-region data (the primary storage account)."""
    return [w.point for w in stage.wire.sent if w.path.lstrip("/").startswith(PRIMARY_ACCOUNT)]


def test_status_of_builds_answers_from_dr_storage_while_the_primary_is_down(stage: Stage) -> None:
    protected_estate(stage)

    code, body = get_status(stage, {"templates": "false"})

    assert code == 200
    (build,) = body["builds"]
    assert build["dr_ready"] is True and build["complete"] is True
    # Blob (records) and Table (the alert ledger, plans, jobs): all in DR-region accounts; no ARM.
    assert {w.service for w in stage.wire.sent} <= {"blob", "table"}, "status reads storage only"
    assert primary_data_reads(stage) == []


def test_full_status_answers_while_the_primary_is_down(stage: Stage) -> None:
    protected_estate(stage)

    code, body = get_status(stage, {})

    assert code == 200, body
    assert body["summary"]["dr_ready"] == 1
    assert "templates" in body
    assert primary_data_reads(stage) == []


def test_template_restore_recreates_from_dr_backup_while_the_primary_is_down(
    stage: Stage,
) -> None:
    protected_estate(stage)
    restore = BY_NAME["template-restore-http"]

    answer = start_once(stage, restore)
    drive(stage)

    assert answer == 202
    restore.check(stage)
    assert primary_data_reads(stage) == []
    tally("scenarios")
