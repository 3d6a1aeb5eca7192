"""The ledger: every feature's items, worst first, with totals over all of them and one page.

Totals count every item (not just the page), so `sum(by_state) == total == sum(by_kind)`.
Paging is by an opaque `continuation` token over a stable order (state, RPO use, id); a client
follows `continuation` until it is null.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.errors import InvalidInput
from shared.readiness.model import SEVERITY, LedgerItem, State

if TYPE_CHECKING:
    from shared.bootstrap import Deps

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


def _use(item: LedgerItem) -> float:
    """How much of its target an item has used (unknown: treated as fully used)."""
    if item.achieved_rpo_seconds is None or not item.target_rpo_seconds:
        return float("inf") if item.state is not State.OK else 0.0
    return item.achieved_rpo_seconds / item.target_rpo_seconds


def order(items: Iterable[LedgerItem]) -> list[LedgerItem]:
    """Return items worst first: breached, unprotected, at risk, ok; then most RPO used; then id."""
    return sorted(items, key=lambda i: (SEVERITY[i.state], -_use(i), i.kind, i.id.lower()))


def totals(items: Sequence[LedgerItem]) -> dict[str, Any]:
    """Counts over every item: by state and by kind (each adds up to `items`)."""
    states = Counter(i.state.value for i in items)
    kinds = Counter(i.kind for i in items)
    return {
        "items": len(items),
        "by_state": {s.value: states.get(s.value, 0) for s in State},
        "by_kind": dict(sorted(kinds.items())),
    }


def encode_continuation(offset: int) -> str:
    """Return the token that resumes the ledger at `offset`."""
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_continuation(token: str | None) -> int:
    """Return the offset a token stands for (0 without one); InvalidInput names `continuation`."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        offset = json.loads(raw)["o"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput("continuation", "not a token this ledger handed out") from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidInput("continuation", "not a token this ledger handed out")
    return offset


def parse_limit(value: str | None) -> int:
    """Return the page size asked for (`limit`, 1..MAX_LIMIT); InvalidInput names `limit`."""
    if value is None or value == "":
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise InvalidInput("limit", f"expected a whole number, got {value[:40]!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def collect(deps: Deps, now: datetime) -> list[LedgerItem]:
    """Return every item of every registered contributor, worst first."""
    from shared.features import LEDGER_CONTRIBUTORS

    found: list[LedgerItem] = []
    for contributor in LEDGER_CONTRIBUTORS:
        found.extend(contributor(deps, now))
    return order(found)


def ledger(
    deps: Deps, now: datetime, *, limit: int = DEFAULT_LIMIT, continuation: str | None = None
) -> dict[str, Any]:
    """Return the ledger section: totals over everything, one page of items, the next token."""
    offset = decode_continuation(continuation)
    items = collect(deps, now)
    page = items[offset : offset + limit]
    following = offset + limit
    return {
        "totals": totals(items),
        "items": [i.to_json() for i in page],
        "offset": offset,
        "continuation": encode_continuation(following) if following < len(items) else None,
    }
