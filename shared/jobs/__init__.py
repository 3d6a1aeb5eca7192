"""Durable jobs (Scheduler-Agent-Supervisor on Azure Storage): declare kinds, submit, advance."""

from __future__ import annotations

from shared.jobs.clock import Clock, ManualClock, system_clock
from shared.jobs.model import Job, JobState, StepRecord, StepState, job_id_for
from shared.jobs.registry import (
    REGISTRY,
    JobKind,
    Registry,
    Step,
    StepContext,
    StepResult,
    register_kind,
)
from shared.jobs.runner import Advance, Progress
from shared.jobs.runtime import get_job_service
from shared.jobs.service import JobService, Submission

__all__ = [
    "REGISTRY",
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
    "get_job_service",
    "job_id_for",
    "register_kind",
    "system_clock",
]
