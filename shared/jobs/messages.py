"""The worker's queue message: {"jobId": ..., "token"?: ..., "notBefore"?: ISO time}."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from shared.errors import InvalidInput
from shared.jobs.model import parse_job_id, utc

# Azure caps a message's visibility delay at 7 days; longer waits wake early and re-check.
MAX_QUEUE_DELAY_SECONDS = 6 * 24 * 3600

MAX_MESSAGE_BYTES = 4096


def iso(moment: datetime) -> str:
    """Return `moment` as an ISO-8601 UTC string ending in Z (millisecond precision)."""
    return utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """Return the aware UTC datetime of an ISO-8601 string; raise ValueError if it is not one."""
    return utc(datetime.fromisoformat(text))


@dataclass(frozen=True)
class JobMessage:
    """Wake job `job_id`; `token` marks a scheduled wake-up, `not_before` when it is due."""

    job_id: str
    token: str = ""
    not_before: datetime | None = None

    def to_json(self) -> str:
        """Return the message body as JSON text."""
        body: dict[str, str] = {"jobId": self.job_id}
        if self.token:
            body["token"] = self.token
        if self.not_before is not None:
            body["notBefore"] = iso(self.not_before)
        return json.dumps(body, separators=(",", ":"))


def parse_job_message(body: bytes | str) -> JobMessage:
    """Return the JobMessage in a queue message body.

    Raises InvalidInput naming the field when the body is not such a message.
    """
    if len(body) > MAX_MESSAGE_BYTES:
        raise InvalidInput("body", f"longer than {MAX_MESSAGE_BYTES} bytes")
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("body", "not JSON") from None
    if not isinstance(raw, dict):
        raise InvalidInput("body", "not a JSON object")
    job_id = raw.get("jobId")
    if not isinstance(job_id, str):
        raise InvalidInput("jobId", "missing or not a string")
    try:
        parse_job_id(job_id)
    except InvalidInput as exc:
        raise InvalidInput("jobId", exc.message) from None
    token = raw.get("token", "")
    if not isinstance(token, str) or len(token) > 64:
        raise InvalidInput("token", "not a string of at most 64 characters")
    return JobMessage(job_id, token, _not_before(raw.get("notBefore")))


def _not_before(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        raise InvalidInput("notBefore", "not an ISO-8601 time") from None
