"""A request accepted as a durable job: submit (or find, or restart) it and answer 202."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.jobs.model import JobState
from shared.jobs.service import JobService


@dataclass(frozen=True)
class Accepted:
    """The job a manual request resolved to: new, found, or a failed one restarted."""

    job_id: str
    created: bool = False
    retried: bool = False

    @property
    def status_url(self) -> str:
        """Where the caller polls the job (GET /api/jobs/{id})."""
        return f"/api/jobs/{self.job_id}"

    def to_json(self) -> dict[str, Any]:
        """Return the 202 answer's body."""
        return {
            "job_id": self.job_id,
            "created": self.created,
            "retried": self.retried,
            "status_url": self.status_url,
        }


def accept(service: JobService, kind: str, key: str, data: dict[str, Any]) -> Accepted:
    """Submit job (`kind`, `key`); a job that failed before is restarted (the caller asks again).

    Raises what JobService.submit and JobService.retry raise.
    """
    submission = service.submit(kind, key, data)
    job = submission.job
    if not submission.created and job.state is JobState.FAILED:
        return Accepted(service.retry(job.id).id, retried=True)
    return Accepted(job.id, submission.created)
