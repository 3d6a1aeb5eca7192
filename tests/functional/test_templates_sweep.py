"""Template backups of many templates: backup_all, the reconcile sweep, and their scope."""

from __future__ import annotations

import logging

import pytest

from shared.azure.image_templates import list_image_templates
from shared.bootstrap import get_deps
from shared.errors import InvalidInput
from shared.templates.results import Outcome
from shared.templates.service import backup_all, reconcile_templates
from tests.plugins.arm import LifeboatEnv
from tests.support.templates import (
    create_template,
    delete_template,
    deps,
    dr_blobs,
    subscription,
    template_body,
    template_id,
    versions,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


@pytest.fixture
def env(lifeboat_env: LifeboatEnv) -> LifeboatEnv:
    return lifeboat_env


def test_listing_follows_resource_graph_pages(env: LifeboatEnv) -> None:
    for n in range(5):
        create_template(template_id(f"t{n}"))
    arm = env.arm
    arm.log.clear()

    listed = list_image_templates(get_deps().clients, (subscription(),), page_size=2)

    assert sorted(t.id.name for t in listed) == [f"t{n}" for n in range(5)]
    assert arm.log.count("POST", "Microsoft.ResourceGraph/resources") == 3


def test_backup_all_backs_up_every_template_once(env: LifeboatEnv) -> None:
    for name in ("a", "b", "c"):
        create_template(template_id(name))

    sweep = backup_all(deps())
    again = backup_all(deps())

    assert [r.outcome for r in sweep.results] == [Outcome.BACKED_UP] * 3
    assert [r.outcome for r in again.results] == [Outcome.UNCHANGED] * 3
    assert len(versions(dr_blobs())) == 3 and sweep.errors == ()


def test_reconcile_marks_vanished_templates_deleted_and_skips_dr_copies(env: LifeboatEnv) -> None:
    kept, gone = template_id("kept"), template_id("gone")
    create_template(kept)
    create_template(gone)
    backup_all(deps())
    delete_template(gone)
    copy_body = template_body()
    copy_body["tags"]["lifeboat-restored-from"] = str(kept)
    create_template(template_id("kept-dr-westus", "lifeboat-dr"), copy_body)

    sweep = reconcile_templates(deps())

    by_name = {r.template_id.rsplit("/", 1)[1]: r.outcome for r in sweep.results}
    assert by_name == {"kept": Outcome.UNCHANGED, "gone": Outcome.MARKED_DELETED}
    assert not [n for n in dr_blobs() if "kept-dr-westus" in n]


def test_sweep_reports_a_failing_template_and_backs_up_the_others(env: LifeboatEnv) -> None:
    create_template(template_id("ok"))
    create_template(template_id("flaky"))
    env.arm.faults.fast_retries()
    env.arm.faults.server_errors(
        1.0, status=503, methods=("GET",), path_contains="imageTemplates/flaky"
    )

    sweep = backup_all(deps())

    assert [r.template_id.rsplit("/", 1)[1] for r in sweep.results] == ["ok"]
    [(failed, message)] = sweep.errors
    assert failed.endswith("/flaky") and "503" in message


def test_sweep_logs_one_warning_per_failing_template_naming_it_and_the_error(
    env: LifeboatEnv, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("ok", "flaky", "broken"):
        create_template(template_id(name))
    env.arm.faults.fast_retries()
    for name in ("flaky", "broken"):
        env.arm.faults.server_errors(
            1.0, status=503, methods=("GET",), path_contains=f"imageTemplates/{name}"
        )

    with caplog.at_level(logging.WARNING, logger="shared.templates.service"):
        reconcile_templates(deps())

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert sorted(r.template_id.rsplit("/", 1)[1] for r in warnings) == ["broken", "flaky"]
    assert all("503" in r.error and r.template_id in r.getMessage() for r in warnings)


def test_backup_all_without_subscriptions_in_scope_is_refused_naming_the_setting(
    env: LifeboatEnv,
) -> None:
    create_template(template_id())

    with pytest.raises(InvalidInput, match="LIFEBOAT_SUBSCRIPTIONS") as err:
        backup_all(deps(subscriptions=()))

    assert err.value.field == "all" and dr_blobs() == {}


def test_the_sweep_without_subscriptions_in_scope_warns_that_it_did_nothing(
    env: LifeboatEnv, caplog: pytest.LogCaptureFixture
) -> None:
    create_template(template_id())

    with caplog.at_level(logging.WARNING, logger="shared.templates.service"):
        sweep = reconcile_templates(deps(subscriptions=()))

    assert sweep.results == () and dr_blobs() == {}
    assert any("LIFEBOAT_SUBSCRIPTIONS" in r.getMessage() for r in caplog.records)
