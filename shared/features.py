"""The one place features plug in: job kinds, event routes, status sections, reconcile sweeps
and the events a job kind publishes when a job of it ends failed.

Everything is registered by reference: a small function that imports its feature when first
called, so indexing the app (cold start) loads no feature and no Azure SDK. A new feature adds
its entries here; tests/unit/test_features.py proves every route and job kind has a handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from shared.routing import Route

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.events.resource import ResourceEvent
    from shared.jobs.registry import Registry
    from shared.publish.events import Event

T = TypeVar("T")


@dataclass(frozen=True)
class Lazy(Generic[T]):
    """A reference to a feature function, resolved (imported) on first call."""

    name: str
    resolve: Callable[[], T]

    def target(self) -> T:
        """Return the feature function this reference stands for (imports its module)."""
        return self.resolve()


# ---- job kinds: kind name → a function registering the feature's kinds into a registry ----


def _image_kinds() -> Callable[[Registry], None]:
    from shared.images.jobs import register

    return register


def _template_kinds() -> Callable[[Registry], None]:
    from shared.templates.jobs import register

    return register


def _vm_kinds() -> Callable[[Registry], None]:
    from shared.vms.jobs import register

    return register


def _outage_execution_kinds() -> Callable[[Registry], None]:
    from shared.outages.execute_jobs import register

    return register


def _drill_kinds() -> Callable[[Registry], None]:
    from shared.drills.jobs import register

    return register


def _failback_kinds() -> Callable[[Registry], None]:
    from shared.outages.failback_jobs import register

    return register


def _event_kinds() -> Callable[[Registry], None]:
    from shared.publish.rpo import register

    return register


KindLoader = Lazy[Callable[["Registry"], None]]
_IMAGES_KINDS: KindLoader = Lazy("shared.images.jobs.register", _image_kinds)
_TEMPLATE_KINDS: KindLoader = Lazy("shared.templates.jobs.register", _template_kinds)
_VM_KINDS: KindLoader = Lazy("shared.vms.jobs.register", _vm_kinds)
_OUTAGE_EXECUTION_KINDS: KindLoader = Lazy(
    "shared.outages.execute_jobs.register", _outage_execution_kinds
)
_DRILL_KINDS: KindLoader = Lazy("shared.drills.jobs.register", _drill_kinds)
_EVENT_KINDS: KindLoader = Lazy("shared.publish.rpo.register", _event_kinds)
_FAILBACK_KINDS: KindLoader = Lazy("shared.outages.failback_jobs.register", _failback_kinds)

JOB_KINDS: Mapping[str, KindLoader] = MappingProxyType(
    {
        "image_build": _IMAGES_KINDS,
        "image_replication": _IMAGES_KINDS,
        "template_backup_all": _TEMPLATE_KINDS,
        "template_restore": _TEMPLATE_KINDS,
        "vm_protection": _VM_KINDS,
        "plan_execution": _OUTAGE_EXECUTION_KINDS,
        "drill_cleanup": _DRILL_KINDS,
        "drill_run": _DRILL_KINDS,
        "plan_failback": _FAILBACK_KINDS,
        "failback_cleanup": _FAILBACK_KINDS,
        "lifeboat_events": _EVENT_KINDS,
    }
)


# ---- events of a job that ends failed: kind → builder(data, reason, step, now) ----
# The builder returns (event, fact) pairs; the job backbone puts them in the failed job's
# outbox (whatever failed it: a step, exhausted retries, a poisoned message).

FailedJobEvents = Callable[
    [Mapping[str, Any], str, "str | None", datetime], "list[tuple[Event, str]]"
]


class FailureEvents(Lazy[FailedJobEvents]):
    """A job kind's failure-event builder, imported on first call."""

    def __call__(
        self, data: Mapping[str, Any], reason: str, step: str | None, now: datetime
    ) -> list[tuple[Event, str]]:
        """Return the events to publish for a job of the kind that ended failed."""
        return self.target()(data, reason, step, now)


def _plan_execution_failed() -> FailedJobEvents:
    from shared.publish.plans import execution_failed

    return execution_failed


JOB_FAILED_EVENTS: Mapping[str, FailureEvents] = MappingProxyType(
    {"plan_execution": FailureEvents("publish.plans.execution_failed", _plan_execution_failed)}
)


def job_registry() -> Registry:
    """Return a registry that loads each feature's job kinds on first use of one of them."""
    from shared.jobs.registry import Registry

    return Registry(loaders={kind: loader.target for kind, loader in JOB_KINDS.items()})


# ---- event routes: route name → handler(deps, event) ----

EventHandler = Callable[["Deps", "ResourceEvent"], object]


class RouteHandler(Lazy[EventHandler]):
    """An event handler that imports its feature on first call."""

    def __call__(self, deps: Deps, event: ResourceEvent) -> object:
        """Run the feature's handler on `event`."""
        return self.target()(deps, event)


def _on_build_event() -> EventHandler:
    from shared.images.service import on_build_event

    return on_build_event


def _on_version_event() -> EventHandler:
    from shared.images.service import on_version_event

    return on_version_event


def _on_template_event() -> EventHandler:
    from shared.templates.service import on_template_event

    return on_template_event


def _on_vm_event() -> EventHandler:
    from shared.vms.service import on_vm_event

    return on_vm_event


ROUTE_HANDLERS: dict[str, EventHandler] = {
    Route.VM_CHANGED: RouteHandler("vms.on_vm_event", _on_vm_event),
    Route.IMAGE_BUILD: RouteHandler("images.on_build_event", _on_build_event),
    Route.GALLERY_IMAGE_VERSION: RouteHandler("images.on_version_event", _on_version_event),
    Route.TEMPLATE_CHANGED: RouteHandler("templates.on_template_event", _on_template_event),
    Route.TEMPLATE_DELETED: RouteHandler("templates.on_template_event", _on_template_event),
}


# ---- status: section name → contributor(deps, now, options) -> JSON section ----

StatusContributor = Callable[["Deps", datetime], dict[str, Any]]


def _image_status(deps: Deps, now: datetime) -> dict[str, Any]:
    from shared.images.status import image_status

    return image_status(deps, now)


def _template_status(deps: Deps, now: datetime) -> dict[str, Any]:
    from shared.templates.status import template_status

    return template_status(deps)


def _vm_status(deps: Deps, now: datetime) -> dict[str, Any]:
    from shared.vms.status import vm_status

    return vm_status(deps, now)


def _drill_status(deps: Deps, now: datetime) -> dict[str, Any]:
    from shared.drills.status import drill_status

    return drill_status(deps, now)


@dataclass(frozen=True)
class StatusSection:
    """One feature's part of GET /api/status; `optional` sections may be left out by query."""

    name: str
    contribute: StatusContributor
    optional: bool = False
    merge: bool = False
    """True: the section's keys go at the top level of the report (builds, summary, ...)."""


def _placement_status(deps: Deps, now: datetime) -> dict[str, Any]:
    from shared.engine.placement import placement_status

    return placement_status(deps.clients, deps.settings)


def _outage_status(deps: Deps, now: datetime) -> dict[str, Any]:
    from shared.outages.status import outage_status

    return outage_status(deps)


STATUS_SECTIONS: tuple[StatusSection, ...] = (
    StatusSection("images", _image_status, merge=True),
    StatusSection("templates", _template_status, optional=True),
    StatusSection("vms", _vm_status, optional=True),
    StatusSection("outages", _outage_status, optional=True),
    StatusSection("drills", _drill_status, optional=True),
    StatusSection("placement", _placement_status, optional=True),
)


# ---- reconcile sweeps: name → sweep(deps, now, force) -> JSON report ----


# A sweep returns (its report, None), or (None, when it is next due) when it was not due.
SweepResult = tuple[dict[str, Any] | None, str | None]


@dataclass(frozen=True)
class Sweep:
    """One feature's level-triggered sweep, run by the reconcile timer."""

    name: str
    run: Callable[[Deps, datetime, bool], SweepResult]


def _sweep_images(deps: Deps, now: datetime, force: bool) -> SweepResult:
    from shared.images.sweep import sweep_images

    return sweep_images(deps).to_json(), None


def _sweep_templates(deps: Deps, now: datetime, force: bool) -> SweepResult:
    from shared.templates.service import daily_template_sweep

    return daily_template_sweep(deps, now, force)


def _sweep_vms(deps: Deps, now: datetime, force: bool) -> SweepResult:
    from shared.vms.sweep import sweep_vms

    return sweep_vms(deps, now), None


def _sweep_outages(deps: Deps, now: datetime, force: bool) -> SweepResult:
    from shared.outages.poll import poll_service_health

    return poll_service_health(deps), None


def _sweep_drills(deps: Deps, now: datetime, force: bool) -> SweepResult:
    from shared.drills.schedule import sweep_drills

    return sweep_drills(deps, now, force)


def _sweep_rpo(deps: Deps, now: datetime, force: bool) -> SweepResult:
    from shared.publish.rpo import sweep_rpo

    return sweep_rpo(deps, now), None


def _sweep_event_overflow(deps: Deps, now: datetime, force: bool) -> SweepResult:
    from shared.publish.overflow import sweep_overflow

    return sweep_overflow(deps, now), None


def _sweep_plan_closures(deps: Deps, now: datetime, force: bool) -> SweepResult:
    from shared.publish.plans import sweep_plan_closures

    return sweep_plan_closures(deps, now), None


def _sweep_activity_log(deps: Deps, now: datetime, force: bool) -> SweepResult:
    from shared.outages.activity_log import sweep_activity_log

    return sweep_activity_log(deps, now), None


SWEEPS: tuple[Sweep, ...] = (
    Sweep("images", _sweep_images),
    Sweep("templates", _sweep_templates),
    Sweep("vms", _sweep_vms),
    Sweep("outages", _sweep_outages),
    Sweep("drills", _sweep_drills),
    Sweep("rpo_events", _sweep_rpo),
    Sweep("event_overflow", _sweep_event_overflow),
    Sweep("plan_closures", _sweep_plan_closures),
    Sweep("activity_log", _sweep_activity_log),
)


# ---- RPO ledger: one contributor per feature → its items in the ledger's one shape ----

if TYPE_CHECKING:
    from shared.readiness.model import LedgerItem

LedgerContributor = Callable[["Deps", datetime], "list[LedgerItem]"]


class LedgerSource(Lazy[LedgerContributor]):
    """A feature's ledger contributor, imported on first call."""

    def __call__(self, deps: Deps, now: datetime) -> list[LedgerItem]:
        """Return the feature's ledger items at `now`."""
        return self.target()(deps, now)


def _ledger_images() -> LedgerContributor:
    from shared.readiness.images import image_items

    return image_items


def _ledger_vms() -> LedgerContributor:
    from shared.readiness.vms import vm_items

    return vm_items


def _ledger_templates() -> LedgerContributor:
    from shared.readiness.templates import template_items

    return template_items


LEDGER_CONTRIBUTORS: tuple[LedgerSource, ...] = (
    LedgerSource("readiness.images.image_items", _ledger_images),
    LedgerSource("readiness.vms.vm_items", _ledger_vms),
    LedgerSource("readiness.templates.template_items", _ledger_templates),
)
