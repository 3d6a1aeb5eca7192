"""Restore point bodies as Lifeboat reads them: disks by label, copy source, replication."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.azure.recovery import disk_body, is_disk_restore_point
from shared.azure.restore_points import parse_collection, parse_restore_point
from tests.plugins.payloads import load_payload

_COPY = "restorepoints_rest_example_RestorePoint_Copy_BetweenRegions_2024-07-01"
_RPC = (
    "restorepoints_rest_example_RestorePointCollection_CreateOrUpdate_ForCrossRegionCopy_2024-07-01"
)


def _copied() -> dict[str, Any]:
    body: dict[str, Any] = load_payload(_COPY)["responses"]["201"]["body"]
    return copy.deepcopy(body)


def _with_view(body: dict[str, Any], *disks: tuple[float, str]) -> dict[str, Any]:
    """`body` with an instanceView (RestorePoint_Get_WithInstanceView's shape) per disk."""
    storage = body["properties"]["sourceMetadata"]["storageProfile"]
    ids = [storage["osDisk"], *storage["dataDisks"]]
    body["properties"]["provisioningState"] = "Succeeded"
    body["properties"]["instanceView"] = {
        "diskRestorePoints": [
            {
                "id": entry["diskRestorePoint"]["id"],
                "replicationStatus": {
                    "status": {"code": f"ReplicationState/{state}", "level": "Info"},
                    "completionPercent": percent,
                },
            }
            for entry, (percent, state) in zip(ids, disks, strict=True)
        ]
    }
    return body


def test_a_copied_point_names_each_disk_restore_point_by_label_and_its_source() -> None:
    point = parse_restore_point(_copied())
    assert [d.label for d in point.disks] == ["os", "lun1"]
    assert point.disks[0].disk_restore_point_id.endswith(
        "/diskRestorePoints/osDisk123_22b4bdfe-6c54-4f72-84d8-85d8860f0c57"
    )
    assert point.disks[1].source_disk_id is not None
    assert point.disks[1].source_disk_id.endswith("/disks/dataDisk123")
    assert point.source_restore_point is not None
    assert point.source_restore_point.endswith("/restorePoints/sourceRpName")
    assert point.consistency_mode == "ApplicationConsistent"
    # Creating, and no instanceView read: neither done nor failed.
    assert (point.succeeded, point.replicated, point.failed) == (False, False, False)
    assert point.replication_percent is None


@pytest.mark.parametrize(
    ("disks", "replicated", "failed", "percent"),
    [
        (((100.0, "succeeded"), (40.0, "replicating")), False, False, 40.0),
        (((100.0, "succeeded"), (100.0, "succeeded")), True, False, 100.0),
        (((100.0, "succeeded"), (10.0, "failed")), False, True, 10.0),
    ],
)
def test_replication_is_complete_only_when_every_disk_succeeded_at_100(
    disks: tuple[tuple[float, str], ...], replicated: bool, failed: bool, percent: float
) -> None:
    point = parse_restore_point(_with_view(_copied(), *disks))
    assert (point.replicated, point.failed, point.replication_percent) == (
        replicated,
        failed,
        percent,
    )


def test_a_dr_collection_names_the_primary_collection_as_its_source() -> None:
    sample = load_payload(_RPC)
    body = sample["responses"].get("201", sample["responses"].get("200"))["body"]
    collection = parse_collection(body)
    assert collection.source_id.lower().endswith("/restorepointcollections/sourcerpcname")
    assert collection.points == ()


def test_a_disk_from_a_disk_restore_point_is_restored_and_from_a_snapshot_copied() -> None:
    point = parse_restore_point(_copied()).disks[0].disk_restore_point_id
    snapshot = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/snapshots/web-os-dr"
    assert is_disk_restore_point(point) and not is_disk_restore_point(snapshot)
    restored = disk_body("westus", point, "Premium_LRS", None, {})["properties"]["creationData"]
    copied = disk_body("westus", snapshot, "Premium_LRS", None, {})["properties"]["creationData"]
    assert (restored["createOption"], restored["sourceResourceId"]) == ("Restore", point)
    assert (copied["createOption"], copied["sourceResourceId"]) == ("Copy", snapshot)
