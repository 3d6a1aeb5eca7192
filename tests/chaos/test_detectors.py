"""The suite's detectors catch what they look for (one that never fires proves nothing)."""

from __future__ import annotations

import logging

import pytest

from tests.chaos.wire import is_write
from tests.plugins.chaos import leaks_in

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("https://a.blob.core.windows.net/c?sv=2024&sig=AbCdEf0123456789%3D", "SAS signature"),
        (f"DefaultEndpointsProtocol=http;AccountName=lbdr;AccountKey={KEY}", "connection string"),
        (f"key {KEY}", "account key"),
        ("Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi", "bearer token"),
    ],
)  # fmt: skip
def test_a_credential_in_a_log_record_is_found(text: str, kind: str) -> None:
    record = logging.makeLogRecord({"msg": "sent %s", "args": (text,), "name": "shared.x"})
    assert kind in leaks_in(record)
    extra = logging.makeLogRecord({"msg": "sent", "url": text})
    assert kind in leaks_in(extra)


def test_ordinary_records_are_clean() -> None:
    record = logging.makeLogRecord(
        {"msg": "job %s: waiting (signature of the build %s)", "args": ("image_build-0f", "ok")}
    )
    assert leaks_in(record) == []


def test_a_resource_graph_query_is_a_read_and_a_put_is_a_write() -> None:
    assert not is_write("POST", "https://arm/providers/Microsoft.ResourceGraph/resources")
    assert is_write("POST", "https://arm/subscriptions/s/resourceGroups/g/x/run")
    assert is_write("MERGE", "http://127.0.0.1:1/lbdr/lifeboatjobs(PartitionKey='a')")
    assert not is_write("GET", "https://arm/subscriptions/s")
