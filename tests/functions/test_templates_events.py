"""Template events through on_resource_event and the template HTTP routes, via real entry points."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import jsonschema
import pytest

from functions.resource_events import on_resource_event
from shared.templates.backup import deployable
from tests.plugins.arm import LifeboatEnv
from tests.support.templates import (
    create_template,
    damage_pointer,
    delete_template,
    dr_blobs,
    pointer,
    read_blob,
    template_event,
    template_id,
    update_tags,
    versions,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(lifeboat_env: LifeboatEnv) -> LifeboatEnv:
    return lifeboat_env


def test_a_write_event_backs_up_the_template_as_deployable_json(env: LifeboatEnv) -> None:
    tid = template_id()
    created = create_template(tid)

    on_resource_event(template_event(tid, "write"))

    [version] = versions(dr_blobs())
    assert read_blob(version) == deployable(created)
    assert pointer(dr_blobs()).metadata["deleted"] == "false"


def test_the_same_event_delivered_twice_writes_one_blob(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    on_resource_event(template_event(tid, "write"))
    before = dr_blobs()

    on_resource_event(template_event(tid, "write"))

    assert dr_blobs() == before and len(versions(before)) == 1


def test_three_deliveries_at_once_end_with_one_version(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            on_resource_event(template_event(tid, "write"))
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == [] and len(versions(dr_blobs())) == 1 and len(dr_blobs()) == 2


def test_a_change_event_adds_a_version_and_moves_the_pointer(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    on_resource_event(template_event(tid, "write", "e1"))
    first = pointer(dr_blobs()).metadata["contenthash"]
    update_tags(tid, {"team": "platform"})

    on_resource_event(template_event(tid, "write", "e2"))

    blobs = dr_blobs()
    assert len(versions(blobs)) == 2
    assert pointer(blobs).metadata["contenthash"] != first
    assert read_blob(pointer(blobs).name)["contentHash"] == pointer(blobs).metadata["contenthash"]


def test_a_delete_event_keeps_the_backups_and_marks_them_deleted(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    on_resource_event(template_event(tid, "write", "e1"))
    kept = versions(dr_blobs())
    delete_template(tid)

    on_resource_event(template_event(tid, "delete", "e2"))

    blobs = dr_blobs()
    assert versions(blobs) == kept
    assert pointer(blobs).metadata["deleted"] == "true" and "deletedat" in pointer(blobs).metadata


def test_a_late_delete_event_for_a_recreated_template_keeps_it_live(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    on_resource_event(template_event(tid, "write", "e1"))

    on_resource_event(template_event(tid, "delete", "e0"))  # the template still exists

    assert pointer(dr_blobs()).metadata["deleted"] == "false"


def test_events_for_a_template_with_a_damaged_pointer_repair_it(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    on_resource_event(template_event(tid, "write", "e1"))
    damage_pointer(dr_blobs())

    on_resource_event(template_event(tid, "write", "e2"))
    repaired = pointer(dr_blobs()).metadata
    damage_pointer(dr_blobs())
    delete_template(tid)
    on_resource_event(template_event(tid, "delete", "e3"))

    assert repaired["deleted"] == "false" and len(versions(dr_blobs())) == 1
    assert pointer(dr_blobs()).metadata["deleted"] == "true"


def test_the_app_indexes_the_template_routes() -> None:
    probe = (
        "import json, function_app\n"
        "print(json.dumps({f.get_function_name(): [json.loads(b) for b in f.get_raw_bindings()]"
        " for f in function_app.app.get_functions()}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    functions = json.loads(done.stdout.strip().splitlines()[-1])

    routes = {"templates_backup": "templates/backup", "templates_restore": "templates/restore"}
    for name, route in routes.items():
        [http] = [b for b in functions[name] if b["type"] == "httpTrigger"]
        assert (http["route"], http["methods"]) == (route, ["POST"])


def test_each_stored_version_publishes_backed_up_once_whichever_path_stored_it(
    env: LifeboatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import bootstrap
    from shared.bootstrap import get_deps
    from shared.jobs.model import job_id_for
    from shared.jobs.outbox import event_id
    from shared.publish.emitters import backed_up_key
    from shared.publish.events import TEMPLATE_BACKED_UP, schema_file
    from shared.publish.rpo import EVENTS_KIND
    from shared.templates.jobs import start_backup_all
    from tests.functional.test_events_outbox import TOPIC, TOPIC_ID
    from tests.support.images import driver

    env.arm.seed({"resources": [{"id": TOPIC_ID, "location": "westus"}]})
    monkeypatch.setenv("LIFEBOAT_EVENTS_ENDPOINT", env.arm.eventgrid.endpoint(TOPIC))
    bootstrap.reset()
    tid = template_id()
    create_template(tid)
    on_resource_event(template_event(tid, "write", "e1"))  # the per-template path: version 1
    on_resource_event(template_event(tid, "write", "e1"))  # ...the event redelivered
    update_tags(tid, {"team": "platform"})
    start_backup_all(get_deps())  # the backup-all job stores version 2 (via backup_template)
    with driver(env.arm) as d:
        assert d.run() is True
    on_resource_event(template_event(tid, "write", "e2"))  # version 2's own event, late
    with driver(env.arm) as d:
        assert d.run() is True

    events = env.arm.eventgrid.events(TOPIC)
    assert [e["type"] for e in events] == [TEMPLATE_BACKED_UP] * 2, events
    stored = {name.rsplit("/", 1)[1].removesuffix(".json") for name in versions(dr_blobs())}
    assert {e["data"]["contentHash"] for e in events} == stored and len(stored) == 2
    schema = json.loads(schema_file(TEMPLATE_BACKED_UP).read_text())
    for event in events:
        digest = event["data"]["contentHash"]
        key = backed_up_key(tid, digest)
        expected = event_id(job_id_for(EVENTS_KIND, key), TEMPLATE_BACKED_UP, str(tid), key)
        assert event["id"] == expected and event["subject"] == str(tid)
        assert event["data"]["blob"].endswith(f"/{digest}.json")
        jsonschema.validate(event["data"], schema)
