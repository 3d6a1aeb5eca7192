"""Settled facts are read once, kept as JSON for the job's data, and forgotten when written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from shared.azure.galleries import Gallery, parse_gallery
from shared.engine.established import Established

GALLERY_ID = "/subscriptions/s/resourceGroups/dr-rg/providers/Microsoft.Compute/galleries/dr"


def _body(state: str) -> dict[str, Any]:
    return {
        "id": GALLERY_ID,
        "location": "westus",
        "properties": {"provisioningState": state},
        "tags": {"at": datetime(2030, 1, 1, tzinfo=UTC)},  # the SDK leaves datetimes in bodies
    }


class Reads:
    def __init__(self, *states: str) -> None:
        self.states = list(states)
        self.count = 0

    def __call__(self) -> Gallery | None:
        self.count += 1
        return parse_gallery(_body(self.states.pop(0))) if self.states else None


def test_a_succeeded_resource_is_read_once_and_survives_the_job_data() -> None:
    known, reads = Established(), Reads("Succeeded")
    assert known.read(GALLERY_ID, reads, parse_gallery) is not None
    stored = json.loads(json.dumps(known.to_json()))  # what the job's data round-trips

    again = Established(stored).read(GALLERY_ID.upper(), reads, parse_gallery)

    assert reads.count == 1
    assert again is not None and again.provisioning_state == "Succeeded"


def test_a_resource_still_being_created_or_missing_is_read_every_time() -> None:
    known, reads = Established(), Reads("Creating", "Creating")
    known.read(GALLERY_ID, reads, parse_gallery)
    known.read(GALLERY_ID, reads, parse_gallery)
    assert known.read(GALLERY_ID, reads, parse_gallery) is None
    assert reads.count == 3 and known.to_json() == {}


def test_a_forgotten_resource_is_read_again() -> None:
    known, reads = Established(), Reads("Succeeded", "Succeeded")
    known.read(GALLERY_ID, reads, parse_gallery)
    known.forget(GALLERY_ID)
    known.read(GALLERY_ID, reads, parse_gallery)
    assert reads.count == 2


def test_a_miss_of_the_jobs_own_target_is_remembered_until_the_job_writes_it() -> None:
    known, reads = Established(), Reads()
    assert known.read(GALLERY_ID, reads, parse_gallery, own=True) is None
    stored = json.loads(json.dumps(known.to_json()))
    assert stored == {GALLERY_ID.lower(): None}

    again = Established(stored)
    assert again.read(GALLERY_ID, reads, parse_gallery, own=True) is None
    assert reads.count == 1, "the miss came from the job data, not from Azure"

    again.forget(GALLERY_ID)  # the job wrote it: read it again
    reads.states.append("Creating")
    found = again.read(GALLERY_ID, reads, parse_gallery, own=True)
    assert found is not None and reads.count == 2


def test_a_shared_resource_that_is_missing_is_read_every_time() -> None:
    known, reads = Established(), Reads()
    known.read(GALLERY_ID, reads, parse_gallery)
    known.read(GALLERY_ID, reads, parse_gallery)
    assert reads.count == 2 and known.to_json() == {}


def test_a_write_result_is_remembered_and_a_delete_remembered_as_gone() -> None:
    known, reads = Established(), Reads("Succeeded")
    known.remember(GALLERY_ID, parse_gallery(_body("Succeeded")))
    assert known.read(GALLERY_ID, reads, parse_gallery) is not None
    known.remember(GALLERY_ID, parse_gallery(_body("Updating")))  # not settled: not kept
    assert known.read(GALLERY_ID, reads, parse_gallery) is not None and reads.count == 1
    known.gone(GALLERY_ID)
    assert known.read(GALLERY_ID, reads, parse_gallery) is None and reads.count == 1
