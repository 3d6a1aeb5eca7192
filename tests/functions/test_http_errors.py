"""Every HTTP route maps failures through the one mapping: transient Azure errors are 503s."""

from __future__ import annotations

import json

import pytest

from functions.images import images_replicate
from shared.bootstrap import get_deps
from tests.event_samples import http_post
from tests.plugins.arm import LifeboatEnv
from tests.support.images import estate, start_run, template, template_id

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def test_replicate_with_the_primary_region_down_is_503_with_retry_after(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web")))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)
    arm.faults.fast_retries()
    arm.faults.region_down("eastus")

    response = images_replicate(http_post({"templateId": template_id("web")}, "images/replicate"))

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert "error" in json.loads(response.get_body())
    assert get_deps().jobs.list() == []
