"""Durable jobs (Scheduler-Agent-Supervisor on Azure Storage): declare kinds, submit, advance."""

from __future__ import annotations

from shared.jobs.clock import Clock, ManualClock, system_clock
from shared.jobs.model import Job, JobState, StepRecord, StepState, job_id_for
from shared.jobs.registry import (
    JobKind,
    Registry,
    Step,
    StepContext,
    StepResult,
)
from shared.jobs.runner import Advance, Progress
from shared.jobs.service import JobService, Submission

__all__ = [
    "Advance",
    "Clock",
    "Job",
    "JobKind",
    "JobService",
    "JobState",
    "ManualClock",
    "Progress",
    "Registry",
    "Step",
    "StepContext",
    "StepRecord",
    "StepResult",
    "StepState",
    "Submission",
    "job_id_for",
    "system_clock",
]
