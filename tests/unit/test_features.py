"""The feature registry: every route and every job kind resolves to a handler, lazily."""

from __future__ import annotations

import subprocess
import sys

from shared.features import JOB_KINDS, ROUTE_HANDLERS, STATUS_SECTIONS, SWEEPS, job_registry
from shared.routing import RULES


def test_every_job_kind_has_steps_registered_by_its_feature() -> None:
    registry = job_registry()

    for kind in JOB_KINDS:
        assert registry.get(kind).step_names, kind


def test_every_route_has_a_handler() -> None:
    assert {rule.route for rule in RULES} <= set(ROUTE_HANDLERS)


def test_status_and_reconcile_are_assembled_from_named_contributors() -> None:
    sections = ["images", "templates", "vms", "outages", "drills", "placement"]
    assert [s.name for s in STATUS_SECTIONS] == sections
    assert [s.name for s in SWEEPS] == [
        "images",
        "templates",
        "vms",
        "outages",
        "drills",
        "rpo_events",
        "event_overflow",
        "plan_closures",
        "activity_log",
    ]


def test_importing_the_registry_loads_no_feature_and_no_sdk() -> None:
    code = (
        "import sys, shared.features, shared.bootstrap; "
        "bad = [m for m in sys.modules if m.startswith(('shared.images', 'shared.templates', "
        "'azure.mgmt', 'azure.storage', 'azure.core'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
