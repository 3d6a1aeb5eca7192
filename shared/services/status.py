"""GET /api/status: the report assembled from every feature's status section (shared.features)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.bootstrap import Deps


def status_report(deps: Deps, *, optional: bool = True) -> dict[str, Any]:
    """Return the status document: each feature's section (optional ones only if `optional`).

    Raises ConfigurationError when the DR storage account is not configured.
    """
    from shared.features import STATUS_SECTIONS

    now = deps.clock()
    report: dict[str, Any] = {}
    for section in STATUS_SECTIONS:
        if section.optional and not optional:
            continue
        part = section.contribute(deps, now)
        if section.merge:
            report.update(part)
        else:
            report[section.name] = part
    report["generated_at"] = now.isoformat()
    return report
