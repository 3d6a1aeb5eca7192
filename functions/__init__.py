"""Thin trigger adapters, one blueprint per event family. None imports azure.mgmt/azure.storage."""

from __future__ import annotations

import azure.functions as func

from functions.service_health import bp as service_health

BLUEPRINTS: tuple[func.Blueprint, ...] = (service_health,)
