"""Thin trigger adapters, one blueprint per event family. None imports azure.mgmt/azure.storage.

Each adapter imports shared/ inside its handlers (only shared.errors at top level), so indexing
the app costs little more than azure.functions; tests/functions/test_indexing.py holds that.
"""

from __future__ import annotations

import azure.functions as func

from functions.dashboard import bp as dashboard
from functions.drills import bp as drills
from functions.images import bp as images
from functions.jobs import bp as jobs
from functions.plans import bp as plans
from functions.reconcile import bp as reconcile
from functions.resource_events import bp as resource_events
from functions.service_health import bp as service_health
from functions.status import bp as status
from functions.templates import bp as templates
from functions.vms import bp as vms

BLUEPRINTS: tuple[func.Blueprint, ...] = (
    service_health,
    resource_events,
    jobs,
    templates,
    images,
    vms,
    status,
    reconcile,
    plans,
    drills,
    dashboard,
)
