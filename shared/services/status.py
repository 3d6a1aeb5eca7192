"""GET /api/status: the RPO ledger plus every feature's status section (shared.features)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.readiness.ledger import DEFAULT_LIMIT

if TYPE_CHECKING:
    from shared.bootstrap import Deps


def status_report(
    deps: Deps,
    *,
    optional: bool = True,
    include: frozenset[str] = frozenset(),
    limit: int = DEFAULT_LIMIT,
    continuation: str | None = None,
) -> dict[str, Any]:
    """Return the status document: the ledger (one page of it, totals over all of it) and
    each feature's section (optional ones only if `optional` or named in `include`).

    Raises ConfigurationError when the DR storage account is not configured, InvalidInput
    naming `continuation` for a token the ledger did not hand out.
    """
    from shared.features import STATUS_SECTIONS
    from shared.readiness.ledger import decode_continuation, ledger

    decode_continuation(continuation)  # a bad token fails before any read
    now = deps.clock()
    report: dict[str, Any] = {"ledger": ledger(deps, now, limit=limit, continuation=continuation)}
    for section in STATUS_SECTIONS:
        if section.optional and not optional and section.name not in include:
            continue
        part = section.contribute(deps, now)
        if section.merge:
            report.update(part)
        else:
            report[section.name] = part
    report["generated_at"] = now.isoformat()
    return report
