"""The `reconcile` timer through its real entry point: templates daily, failures isolated."""

from __future__ import annotations

import json

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from functions.reconcile import RECONCILE_SCHEDULE, bp, reconcile
from shared.errors import TransientError
from tests.plugins.arm import LifeboatEnv
from tests.support.templates import create_template, dr_blobs, template_id, versions

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def test_the_timer_is_indexed_every_thirty_minutes() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(bp)
    [function] = app.get_functions()
    [binding] = json.loads(function.get_function_json())["bindings"]
    assert (function.get_function_name(), binding["type"]) == ("reconcile", "timerTrigger")
    assert binding["schedule"] == RECONCILE_SCHEDULE == "0 */30 * * * *"


def test_the_timer_backs_up_templates_no_event_announced(lifeboat_env: LifeboatEnv) -> None:
    for name in ("a", "b"):
        create_template(template_id(name))

    reconcile(TimerRequest(past_due=True))

    assert len(versions(dr_blobs())) == 2


def test_templates_are_swept_once_a_day_not_on_every_run(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    create_template(template_id("a"))
    arm.log.clear()
    reconcile(TimerRequest())
    assert [e for e in arm.log.entries() if "imageTemplates/" in e.path], "first run reads"
    arm.log.clear()

    reconcile(TimerRequest())

    template_reads = [e for e in arm.log.entries() if "imageTemplates/" in e.path]
    assert template_reads == []


def test_a_failing_image_sweep_still_sweeps_templates_and_fails_the_run(
    lifeboat_env: LifeboatEnv,
) -> None:
    create_template(template_id("a"))
    # Resource Graph answers 500 for every query: both sweeps list through it, so both fail
    # and the run reports both instead of stopping at the first.
    lifeboat_env.arm.faults.server_errors(1.0, status=500, path_contains="ResourceGraph")

    with pytest.raises(TransientError) as err:
        reconcile(TimerRequest())

    assert "images" in str(err.value) and "templates" in str(err.value)


def test_the_timer_protects_a_build_whose_event_was_lost(lifeboat_env: LifeboatEnv) -> None:
    from shared.bootstrap import get_deps
    from shared.images.status import image_status
    from tests.support.images import (
        DR_RG,
        driver,
        estate,
        resources,
        start_run,
        template,
    )

    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage", "VHD"))))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)  # the build ended; Event Grid never delivered its event

    with driver(arm) as d:
        reconcile(TimerRequest())
        assert d.run() is True

    (build,) = image_status(get_deps(), arm.clock.now())["builds"]
    assert build["dr_ready"] is True and build["artifacts_dr_ready"] == 2
    assert len(resources(arm, "Microsoft.Compute/galleries/images/versions", DR_RG)) == 1
