"""Concurrent first jobs of a worker create the shared DR gallery once (emulator request log)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.core.exceptions import HttpResponseError

from shared.bootstrap import get_deps
from shared.engine import names as naming
from shared.engine.actions import CreateGallery
from shared.engine.executor import execute
from tests.plugins.arm import LifeboatEnv


def _gallery_puts(env: LifeboatEnv, name: str) -> int:
    return sum(
        1
        for e in env.arm.log.writes()
        if e.method == "PUT" and e.path.lower().endswith(f"/galleries/{name}".lower())
    )


def test_eight_concurrent_first_jobs_put_the_dr_gallery_once(lifeboat_env: LifeboatEnv) -> None:
    deps = get_deps()
    gallery = naming.dr_gallery_id(deps.settings, lifeboat_env.subscription, "westus")
    action = CreateGallery(str(gallery), "westus")
    lifeboat_env.arm.log.clear()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: execute(deps.clients, deps.settings, action), range(8)))

    assert _gallery_puts(lifeboat_env, gallery.name) == 1
    assert {str(r.id).lower() for r in results} == {str(gallery).lower()}  # type: ignore[attr-defined]
    assert all(r.provisioning_state == "Succeeded" for r in results)  # type: ignore[attr-defined]


def test_a_gallery_that_failed_to_create_is_put_again(lifeboat_env: LifeboatEnv) -> None:
    deps = get_deps()
    gallery = naming.dr_gallery_id(deps.settings, lifeboat_env.subscription, "westus")
    action = CreateGallery(str(gallery), "westus")
    lifeboat_env.arm.faults.fail_operations(1.0, count=1, path_contains="/galleries/")
    lifeboat_env.arm.log.clear()

    with pytest.raises(HttpResponseError):
        execute(deps.clients, deps.settings, action)
    second = execute(deps.clients, deps.settings, action)

    assert second.provisioning_state == "Succeeded"  # type: ignore[attr-defined]
    assert _gallery_puts(lifeboat_env, gallery.name) == 2
