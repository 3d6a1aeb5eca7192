"""A tiny demo job kind for the job tests (no tests here): Azurite marker blobs, fault scripts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared import bootstrap
from shared.jobs import ManualClock, Registry, StepContext, StepResult
from shared.jobs.service import JobService

KIND = "demo_copy"
CONTAINER = "jobs-demo"
START = datetime(2030, 1, 1, tzinfo=UTC)


class Killed(KeyboardInterrupt):
    """Stands for the worker process dying (a BaseException: nothing catches it)."""


@dataclass(frozen=True)
class Fault:
    """Raise `error` on one execution of a step, before or after the step's write."""

    error: BaseException
    after_write: bool = False


@dataclass
class DemoWorld:
    """Three steps: copy (write once), settle (wait until settle_seconds passed), publish."""

    clock: ManualClock
    settle_seconds: float = 30.0
    writes: Counter[str] = field(default_factory=Counter)
    runs: Counter[str] = field(default_factory=Counter)
    faults: dict[str, list[Fault | None]] = field(default_factory=lambda: defaultdict(list))
    hooks: dict[str, Any] = field(default_factory=dict)

    def registry(self) -> Registry:
        registry = Registry()
        registry.register(
            KIND,
            [("copy", self.copy), ("settle", self.settle), ("publish", self.publish)],
            "demo: copy a marker, let it settle, publish it",
        )
        return registry

    def _fault(self, step: str, after_write: bool) -> None:
        script = self.faults.get(step)
        if script and script[0] is not None and script[0].after_write == after_write:
            fault = script.pop(0)
            assert fault is not None
            raise fault.error

    def _next(self, step: str) -> None:
        self.runs[step] += 1
        hook = self.hooks.get(step)
        if hook is not None:
            hook()
        script = self.faults.get(step)
        if script and script[0] is None:
            script.pop(0)  # None: this execution runs clean
        self._fault(step, after_write=False)

    def _write_once(self, ctx: StepContext, name: str) -> str:
        from azure.core.exceptions import ResourceExistsError

        from shared.bootstrap import get_deps

        blob = (
            get_deps().clients.blob_service("state").get_blob_client(CONTAINER, f"{ctx.key}/{name}")
        )
        if not blob.exists():
            try:
                blob.upload_blob(ctx.job_id.encode(), overwrite=False)
                self.writes[name] += 1
            except ResourceExistsError:
                pass
        return blob.blob_name

    def copy(self, ctx: StepContext) -> StepResult:
        self._next("copy")
        name = self._write_once(ctx, "copy")
        self._fault("copy", after_write=True)
        return StepResult.done({"copy": name, "copiedAt": ctx.now().isoformat()})

    def settle(self, ctx: StepContext) -> StepResult:
        self._next("settle")
        copied = datetime.fromisoformat(ctx.data["copiedAt"])
        remaining = self.settle_seconds - (ctx.now() - copied).total_seconds()
        if remaining > 0:
            return StepResult.wait(remaining, "copy settling")
        return StepResult.done({"settled": True})

    def publish(self, ctx: StepContext) -> StepResult:
        self._next("publish")
        name = self._write_once(ctx, "publish")
        self._fault("publish", after_write=True)
        return StepResult.done({"published": name})


@contextmanager
def demo_env(storage_delays: bool = False) -> Iterator[tuple[DemoWorld, JobService]]:
    """Configure the job runtime with the demo kind and a manual clock; yield (world, service)."""
    from shared.bootstrap import get_deps

    get_deps().clients.blob_service("state").create_container(CONTAINER)
    world = DemoWorld(ManualClock(START))
    bootstrap.configure(clock=world.clock, registry=world.registry(), storage_delays=storage_delays)
    try:
        yield world, bootstrap.get_deps().jobs
    finally:
        bootstrap.reset()


def queue_messages() -> list[dict[str, Any]]:
    """Return the bodies of the visible job messages (peeked, not received)."""
    import json

    from shared.azure.job_storage import decode_body
    from shared.bootstrap import get_deps

    queue = get_deps().clients.queue_service().get_queue_client(get_deps().settings.jobs_queue)
    return [json.loads(decode_body(m.content)) for m in queue.peek_messages(max_messages=32)]


def queue_depth() -> int:
    """Return the approximate number of job messages, hidden ones included."""
    from shared.bootstrap import get_deps

    queue = get_deps().clients.queue_service().get_queue_client(get_deps().settings.jobs_queue)
    return int(queue.get_queue_properties().approximate_message_count or 0)
