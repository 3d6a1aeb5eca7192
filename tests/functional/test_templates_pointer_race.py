"""The backup pointer never names a deleted version, however two writers interleave.

Writer A's blob client pauses at the wire before its first version DELETE (a real Azurite
request held back by the transport), so the interleaving the race needs happens every time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import BlobServiceClient

from shared.azure.backup_blobs import TemplateStore
from shared.bootstrap import Deps, bootstrap
from shared.errors import TransientError
from shared.jobs.clock import ManualClock
from shared.templates.recovery import RestoreOutcome, restore_template
from shared.templates.requests import RestoreRequest
from shared.templates.results import Outcome
from shared.templates.service import backup_template
from tests.plugins.arm import LifeboatEnv
from tests.support.templates import (
    START,
    create_template,
    deps,
    dr_blobs,
    overwrite_blob,
    pointer,
    template_id,
    update_tags,
    versions,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

RETENTION = 2


class PauseBeforeDelete(RequestsTransport):
    """Holds the first DELETE of a version blob until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.paused = threading.Event()
        self.resume = threading.Event()
        self._armed = True

    def send(self, request: Any, **kwargs: Any) -> Any:
        if self._armed and request.method == "DELETE" and "/versions/" in request.url:
            self._armed = False
            self.paused.set()
            assert self.resume.wait(30), "the test never resumed writer A"
        return super().send(request, **kwargs)


def _deps_through(transport: PauseBeforeDelete, clock: ManualClock) -> Deps:
    base = deps(clock, template_backup_retention=RETENTION)
    service = BlobServiceClient.from_connection_string(
        os.environ["LIFEBOAT_DR_STORAGE_CONNECTION_STRING"], transport=transport
    )
    return bootstrap(
        settings=base.settings,
        clients=base.clients,
        backups=TemplateStore(service, base.settings.templates_container),
        clock=clock,
    )


def _hash(name: str) -> str:
    return name.rsplit("/", 1)[1].removesuffix(".json")


def _pointed() -> str:
    return pointer(dr_blobs()).metadata["contenthash"]


def _stored() -> set[str]:
    return {_hash(n) for n in versions(dr_blobs())}


@pytest.fixture
def history(lifeboat_env: LifeboatEnv) -> Iterator[tuple[Any, ManualClock, list[str]]]:
    """A template backed up as V1 then V2 (retention 2), about to become V3."""
    tid = template_id()
    create_template(tid)
    clock = ManualClock(START)
    hashes = [backup_template(tid, deps(clock, template_backup_retention=RETENTION)).content_hash]
    update_tags(tid, {"team": "images", "rev": "2"})
    clock.advance(60)
    hashes.append(
        backup_template(tid, deps(clock, template_backup_retention=RETENTION)).content_hash
    )
    update_tags(tid, {"team": "images", "rev": "3"})
    clock.advance(60)
    yield tid, clock, [h or "" for h in hashes]


def test_a_revert_during_pruning_never_leaves_the_pointer_on_a_deleted_version(
    history: tuple[Any, ManualClock, list[str]],
) -> None:
    tid, clock, (v1, _v2) = history
    transport = PauseBeforeDelete()
    outcome: list[Any] = []
    writer_a = threading.Thread(
        target=lambda: outcome.append(backup_template(tid, _deps_through(transport, clock)))
    )
    writer_a.start()
    assert transport.paused.wait(30), "writer A never reached its first DELETE"

    # The template returns to V1 while A is paused between listing and deleting V1.
    update_tags(tid, {"team": "images"})
    clock.advance(60)
    try:
        early = backup_template(tid, deps(clock, template_backup_retention=RETENTION)).outcome
    except TransientError:
        early = None  # A holds the pointer while it prunes; B is retried (event redelivery)
    transport.resume.set()
    writer_a.join(30)

    assert outcome and outcome[0].outcome == Outcome.BACKED_UP
    assert _pointed() in _stored(), "the pointer names a version that is gone"
    late = backup_template(tid, deps(clock, template_backup_retention=RETENTION))
    assert late.content_hash == v1
    assert Outcome.BACKED_UP in (early, late.outcome)
    assert _pointed() == v1 and v1 in _stored()
    restored = restore_template(RestoreRequest(tid, dry_run=True), deps(clock))
    assert restored.outcome == RestoreOutcome.DRY_RUN and restored.backup == v1


def test_a_backup_whose_pointer_names_a_missing_version_rewrites_it(
    history: tuple[Any, ManualClock, list[str]],
) -> None:
    tid, clock, (_v1, v2) = history
    update_tags(tid, {"team": "images", "rev": "2"})  # back to V2, which the pointer names
    version = next(n for n in versions(dr_blobs()) if _hash(n) == v2)
    service = BlobServiceClient.from_connection_string(
        os.environ["LIFEBOAT_DR_STORAGE_CONNECTION_STRING"]
    )
    service.get_container_client(deps().settings.templates_container).delete_blob(version)

    result = backup_template(tid, deps(clock, template_backup_retention=RETENTION))

    assert result.outcome == Outcome.BACKED_UP
    assert _pointed() == v2 and v2 in _stored()


def test_restore_of_latest_falls_back_to_the_newest_version_when_the_pointer_is_dangling(
    history: tuple[Any, ManualClock, list[str]],
) -> None:
    tid, clock, (_v1, v2) = history
    blobs = dr_blobs()
    dangling = dict(pointer(blobs).metadata, contenthash="0" * 64)
    overwrite_blob(pointer(blobs).name, b"{}", dangling)

    restored = restore_template(RestoreRequest(tid, dry_run=True), deps(clock))

    assert restored.backup == v2  # the newest stored version, not a 404
