"""Cross-region copy admission within Azure's limits, and how to read a refused CopyStart."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Azure copies at most 100 incremental snapshots in parallel per subscription and region; the
# default leaves room for copies started outside Lifeboat.
DEFAULT_COPY_CAP = 95


@dataclass(frozen=True)
class CopyRequest:
    """A snapshot waiting to be copied to the DR region.

    `family` is the source snapshot's `creationData.sourceUniqueId` (the disk's uniqueId, which
    changes if the disk is re-created under the same name); `rpo_deadline` is when the VM's
    newest complete DR set becomes older than its RPO.
    """

    request_id: str
    subscription: str
    target_region: str
    family: str
    source_created: datetime
    rpo_deadline: datetime

    @property
    def lane(self) -> tuple[str, str]:
        """The (subscription, target region) pair Azure's parallel-copy limit counts in."""
        return _lane(self.subscription, self.target_region)


@dataclass(frozen=True)
class CopyInFlight:
    """A CopyStart that has been accepted and has not completed or failed yet."""

    subscription: str
    target_region: str
    family: str

    @property
    def lane(self) -> tuple[str, str]:
        """The (subscription, target region) pair Azure's parallel-copy limit counts in."""
        return _lane(self.subscription, self.target_region)


def _lane(subscription: str, region: str) -> tuple[str, str]:
    return subscription.lower(), region.lower().replace(" ", "")


def copies_to_start(
    waiting: Iterable[CopyRequest],
    in_flight: Iterable[CopyInFlight],
    cap: int = DEFAULT_COPY_CAP,
) -> tuple[CopyRequest, ...]:
    """Return the waiting copies to start now, most urgent first.

    Rules (Azure's, plus our margin): at most `cap` copies in flight per (subscription, target
    region); one copy in flight per disk family; a family's snapshots copied in creation order
    (only its oldest waiting snapshot is eligible); eligible copies taken in order of their
    VM's RPO deadline, then source creation time.
    """
    if cap < 1:
        raise ValueError("cap must be at least 1")
    flying = list(in_flight)
    used = Counter(c.lane for c in flying)
    busy_families = {c.family.lower() for c in flying}
    oldest: dict[str, CopyRequest] = {}
    for request in waiting:
        family = request.family.lower()
        current = oldest.get(family)
        if current is None or _creation_order(request) < _creation_order(current):
            oldest[family] = request
    eligible = [r for f, r in oldest.items() if f not in busy_families]
    eligible.sort(key=lambda r: (r.rpo_deadline, r.source_created, r.request_id))
    chosen: list[CopyRequest] = []
    for request in eligible:
        if used[request.lane] < cap:
            used[request.lane] += 1
            chosen.append(request)
    return tuple(chosen)


def _creation_order(request: CopyRequest) -> tuple[datetime, str]:
    return request.source_created, request.request_id


class RefusalKind(StrEnum):
    """What to do about a CopyStart Azure refused."""

    BUSY = "busy"  # a limit or a copy in progress: wait with jitter, the job does not fail
    FAIL = "fail"  # anything else: fail fast with Azure's message recorded


@dataclass(frozen=True)
class CopyRefusal:
    """How a refused CopyStart is handled: wait between `wait_min` and `wait_max`, or fail."""

    kind: RefusalKind
    code: str
    message: str
    wait_min: float = 0.0
    wait_max: float = 0.0

    def wait_seconds(self, draw: float) -> float:
        """Return the wait for a uniform `draw` in [0, 1): jitter spreads retries of a burst."""
        return self.wait_min + (self.wait_max - self.wait_min) * min(max(draw, 0.0), 1.0)


# Azure documents no error code for the parallel-copy limit or a second copy of one disk;
# production users match the message (e.g. "number of ongoing CopyStart requests").
_BUSY_CODES = frozenset({"operationnotallowed", "conflict", "toomanyrequests", "badrequest"})
_BUSY_TEXT = re.compile(
    r"copystart requests limit|ongoing copystart|number of ongoing|limit (?:has been )?reached"
    r"|in progress|already being copied|concurrent",
    re.IGNORECASE,
)
# A feature that is off or a wrong source never clears by waiting.
_NEVER_BUSY_TEXT = re.compile(r"not supported|not enabled|not of expected type", re.IGNORECASE)


def classify_refusal(
    code: str | None,
    message: str | None,
    retry_after: float | None = None,
    jitter: Sequence[float] = (15.0, 60.0),
) -> CopyRefusal:
    """Return whether a refused CopyStart means "busy, wait" or "fail now".

    Busy: a 429 (`TooManyRequests`), or a code Azure uses for refusals (`OperationNotAllowed`,
    `Conflict`, `BadRequest`) whose message speaks of a limit or a copy in progress. The wait is
    drawn from `jitter` and never shorter than Azure's Retry-After.
    """
    text = (message or "").strip()
    folded = (code or "").strip().lower()
    busy = folded == "toomanyrequests" or (folded in _BUSY_CODES and bool(_BUSY_TEXT.search(text)))
    if not busy or _NEVER_BUSY_TEXT.search(text):
        return CopyRefusal(RefusalKind.FAIL, code or "", text)
    low, high = jitter
    floor = max(retry_after or 0.0, 0.0)
    return CopyRefusal(RefusalKind.BUSY, code or "", text, max(low, floor), max(high, floor))
