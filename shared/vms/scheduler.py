"""The durable copy scheduler: admit waiting CopyStarts within the caps, start them, read refusals.

Admission (shared.vms.copies.copies_to_start over one lane's ledger rows) is committed atomically
in the ledger; the worker that wins an admission issues the admitted CopyStarts itself, so a copy
finishing in one job starts the next copy of any VM without waiting for that VM's job to wake.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.azure.copy_ledger import FAILED, FLYING, WAITING, CopyLedger, CopyRow, Lane
from shared.engine.actions import CopySnapshot
from shared.telemetry import record_copies_in_flight
from shared.vms.copies import (
    CopyInFlight,
    CopyRequest,
    RefusalKind,
    classify_refusal,
    copies_to_start,
)

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.config import Settings

logger = logging.getLogger(__name__)
# Admission rounds lost to other workers before this worker leaves the lane to them.
_ROUNDS = 4


@dataclass(frozen=True)
class AdmitReport:
    """What one admission pass did in a lane."""

    started: int = 0
    refused_busy: int = 0
    failed: int = 0


def _request(row: CopyRow) -> CopyRequest:
    sub, _, region = row.lane.partition("_")
    return CopyRequest(row.key, sub, region, row.family, row.source_created, row.rpo_deadline)


def _choose(lane: Lane, cap: int, now: datetime) -> list[CopyRow]:
    by_key = {r.key: r for r in lane.rows}
    waiting = [r for r in lane.rows if r.state == WAITING]
    ready = [_request(r) for r in waiting if r.not_before is None or r.not_before <= now]
    # A family whose older snapshot is still waiting (not_before) keeps creation order.
    held = {r.family.lower() for r in waiting if r.not_before is not None and r.not_before > now}
    ready = [r for r in ready if r.family.lower() not in held]
    flying = []
    for row in lane.rows:
        if row.state == FLYING:
            sub, _, region = row.lane.partition("_")
            flying.append(CopyInFlight(sub, region, row.family))
    return [by_key[c.request_id] for c in copies_to_start(ready, flying, cap)]


def _start(
    clients: AzureClients, settings: Settings, ledger: CopyLedger, row: CopyRow, now: datetime
) -> str:
    """Issue one admitted CopyStart; a busy refusal returns the row to waiting with jitter."""
    from shared.azure.disks import CopyLimitReached
    from shared.azure.failures import azure_failures
    from shared.engine.executor import execute
    from shared.errors import AzureRefused, TransientError

    action = CopySnapshot(row.target, row.region, source=row.source, tags=row.tags)
    try:
        with azure_failures("CopyStart"):
            execute(clients, settings, action)
        return "started"
    except CopyLimitReached as exc:
        refusal = classify_refusal("OperationNotAllowed", str(exc), exc.wait_seconds)
    except TransientError as exc:
        # Throttled or unavailable: the copy goes back to waiting (Retry-After honoured).
        refusal = classify_refusal("TooManyRequests", str(exc), exc.retry_after or 0.0)
    except AzureRefused as exc:
        refusal = classify_refusal(exc.code or str(exc.status), exc.detail, 0.0)
    if refusal.kind is RefusalKind.BUSY:
        wait = refusal.wait_seconds(random.random())  # jitter, not security
        ledger.put(replace(row, state=WAITING, not_before=now + timedelta(seconds=wait)))
        return "busy"
    message = f"CopyStart refused: {refusal.code}: {refusal.message}"
    logger.warning("%s for %s", message, row.target, extra={"resource_id": row.target})
    ledger.put(replace(row, state=FAILED, error=message))
    return "failed"


def admit(
    clients: AzureClients, settings: Settings, ledger: CopyLedger, lane_key: str, now: datetime
) -> AdmitReport:
    """Admit what the caps allow in one lane and start those copies; return what happened."""
    counts = {"started": 0, "busy": 0, "failed": 0}
    flying = 0
    for _ in range(_ROUNDS):
        lane = ledger.read_lane(lane_key)
        flying = sum(1 for r in lane.rows if r.state == FLYING)
        chosen = _choose(lane, settings.copy_concurrency, now)
        if not chosen:
            break
        if not ledger.admit(lane, chosen):
            continue
        for row in chosen:
            counts[_start(clients, settings, ledger, row, now)] += 1
        break
    record_copies_in_flight(lane_key, flying + counts["started"])
    return AdmitReport(counts["started"], counts["busy"], counts["failed"])


def start_admitted(
    clients: AzureClients, settings: Settings, ledger: CopyLedger, row: CopyRow, now: datetime
) -> str:
    """Issue the CopyStart of a row already in flight (its admitting worker died first)."""
    return _start(clients, settings, ledger, row, now)
