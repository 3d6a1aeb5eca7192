"""Findings: why a tagged VM, disk or copy cannot be protected as asked (shown in status)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FindingCode(StrEnum):
    """Stable codes for VM protection findings (status and alerts branch on these, not on text)."""

    INVALID_TAG = "invalid_tag"
    MODE_DISABLED = "mode_disabled"
    SCHEDULE_TOO_FREQUENT = "schedule_too_frequent"
    SHARED_DISK_EXCLUDED = "shared_disk_excluded"
    EPHEMERAL_DISK_EXCLUDED = "ephemeral_disk_excluded"
    UNSUPPORTED_BY_RESTORE_POINT = "unsupported_by_restore_point"
    CRASH_CONSISTENCY_NOT_GUARANTEED = "crash_consistency_not_guaranteed"
    NOTHING_TO_CAPTURE = "nothing_to_capture"
    SECURITY_PROFILE_MISMATCH = "security_profile_mismatch"
    STARTED_DURING_CLEAN_COPY = "started_during_clean_copy"
    LOCKED_SNAPSHOT = "locked_snapshot"


@dataclass(frozen=True)
class Finding:
    """One finding: a stable code, the resource it is about, and a sentence saying what is wrong.

    `tag` and `value` are set when a tag value caused it, so status can show exactly what to fix.
    """

    code: FindingCode
    subject: str
    message: str
    tag: str | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, str]:
        """Return the finding as a JSON-ready dict (absent tag/value left out)."""
        out = {"code": str(self.code), "subject": self.subject, "message": self.message}
        if self.tag is not None:
            out["tag"] = self.tag
        if self.value is not None:
            out["value"] = self.value
        return out
