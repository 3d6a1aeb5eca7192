"""What the template backup services return: per-template outcomes and sweep results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final


class Outcome:
    """What a backup call did."""

    UNCHANGED: Final = "unchanged"
    BACKED_UP: Final = "backed_up"
    MARKED_DELETED: Final = "marked_deleted"
    ALREADY_DELETED: Final = "already_deleted"
    SKIPPED: Final = "skipped"
    NOT_FOUND: Final = "not_found"
    # LIFEBOAT_DRY_RUN: what a backup would have written; nothing was.
    WOULD_BACK_UP: Final = "would_back_up"
    WOULD_MARK_DELETED: Final = "would_mark_deleted"


@dataclass(frozen=True)
class BackupResult:
    """The outcome of backing up one template."""

    template_id: str
    outcome: str
    content_hash: str | None = None
    blob: str | None = None
    pruned: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        return {
            "templateId": self.template_id,
            "outcome": self.outcome,
            "contentHash": self.content_hash,
            "blob": self.blob,
            "pruned": list(self.pruned),
        }


@dataclass(frozen=True)
class SweepResult:
    """The outcome of backing up many templates; `errors` maps template id to what failed."""

    results: tuple[BackupResult, ...]
    errors: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        return {
            "results": [r.to_dict() for r in self.results],
            "errors": [{"templateId": t, "error": e} for t, e in self.errors],
        }
