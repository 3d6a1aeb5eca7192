"""The recovery manifest: JSON round trip, versioning, damaged documents refused (typed error)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.vms.consistency import Consistency
from shared.vms.manifest import (
    DamagedManifest,
    ImageReference,
    ManifestConsistency,
    ManifestDisk,
    ManifestNic,
    ManifestSecurity,
    RecoveryManifest,
)
from shared.vms.policy import Mode

T0 = datetime(2026, 3, 10, 6, 0, 1, tzinfo=UTC)
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups"


def manifest(**kw: object) -> RecoveryManifest:
    disks = (
        ManifestDisk(
            None,
            "web1-os",
            "ReadWrite",
            "Premium_LRS",
            64,
            f"{SUB}/rg/d/os",
            T0,
            dr_snapshot_id=f"{SUB}/lifeboat-dr/s/os",
            copy_completed_at=T0 + timedelta(minutes=40),
        ),
        ManifestDisk(
            0,
            "web1-data0",
            "ReadOnly",
            "PremiumV2_LRS",
            256,
            f"{SUB}/rg/d/d0",
            T0 + timedelta(seconds=2),
            dr_snapshot_id=f"{SUB}/lifeboat-dr/s/d0",
        ),
    )
    base: dict[str, object] = {
        "set_id": "a1b2c3d4e5f6-202603100600",
        "vm_id": f"{SUB}/rg/providers/Microsoft.Compute/virtualMachines/web1",
        "vm_name": "web1",
        "location": "eastus",
        "dr_region": "westus",
        "mode": Mode.SNAPSHOT,
        "vm_size": "Standard_D4s_v5",
        "os_type": "Linux",
        "consistency": ManifestConsistency(Consistency.PER_DISK, 2.0),
        "disks": disks,
        "captured_at": T0,
        "zone": "2",
        "hyper_v_generation": "V2",
        "security": ManifestSecurity("TrustedLaunch", True, True),
        "nics": (
            ManifestNic(
                f"{SUB}/rg/n/nic1",
                f"{SUB}/rg/v/vnet/subnets/web",
                "10.0.0.4",
                "Static",
                True,
                f"{SUB}/rg/nsg/web",
                True,
            ),
        ),
        "tags": {"lifeboat-protect": "true", "app": "web"},
        "extensions": ("AzureMonitorLinuxAgent",),
        "image_reference": ImageReference(
            publisher="Canonical", offer="ubuntu-24_04-lts", sku="server", version="latest"
        ),
    }
    base.update(kw)
    return RecoveryManifest(**base)  # type: ignore[arg-type]


def test_manifest_round_trips_through_json_with_camel_case_keys() -> None:
    original = manifest()
    text = original.to_json()
    document = json.loads(text)
    assert document["schemaVersion"] == 1
    assert document["security"]["securityType"] == "TrustedLaunch"
    assert document["disks"][0]["drSnapshotId"].endswith("/s/os")
    assert document["consistency"] == {"kind": "per-disk", "skewSeconds": 2.0}
    assert RecoveryManifest.from_json(text) == original


def test_copies_completed_at_waits_for_every_disk() -> None:
    assert manifest().copies_completed_at is None
    done = manifest().disks[1]
    finished = ManifestDisk(**{**done.__dict__, "copy_completed_at": T0 + timedelta(hours=1)})
    assert manifest(disks=(manifest().disks[0], finished)).copies_completed_at == T0 + timedelta(
        hours=1
    )


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        (lambda d: "{not json", "manifest"),
        (lambda d: json.dumps({**d, "schemaVersion": 2}), "schemaVersion"),
        (lambda d: json.dumps({**d, "vmSize": 4}), "vmSize"),
        (lambda d: json.dumps({k: v for k, v in d.items() if k != "disks"}), "disks"),
        (lambda d: json.dumps({**d, "surprise": True}), "surprise"),
        (lambda d: json.dumps({**d, "consistency": {"kind": "mostly"}}), "consistency.kind"),
        (lambda d: json.dumps({**d, "capturedAt": "2026-03-10T06:00:00"}), "capturedAt"),
        (lambda d: json.dumps({**d, "disks": [{**d["disks"][0], "lun": 64}]}), "disks.0.lun"),
        (
            lambda d: json.dumps({**d, "disks": [{**d["disks"][0], "drSnapshotId": None}]}),
            "disks.0",
        ),
        (lambda d: json.dumps({**d, "disks": [d["disks"][1], d["disks"][1]]}), "manifest"),
        (lambda d: json.dumps([d]), "manifest"),
    ],
)
def test_damaged_documents_are_refused_with_a_typed_error_naming_the_field(damage, field) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(manifest().to_json())
    with pytest.raises(DamagedManifest) as caught:
        RecoveryManifest.from_json(damage(document))
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.field == field or caught.value.field.startswith(field)


_text = st.text(min_size=1, max_size=40)
_time = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@st.composite
def _disks(draw: st.DrawFn) -> tuple[ManifestDisk, ...]:
    luns = draw(st.lists(st.integers(0, 63), unique=True, max_size=4))
    out = []
    for lun in [None, *luns]:
        restore_point = draw(st.booleans())
        out.append(
            ManifestDisk(
                lun,
                draw(_text),
                draw(st.sampled_from(["None", "ReadOnly", "ReadWrite"])),
                draw(_text),
                draw(st.integers(1, 65536)),
                draw(_text),
                draw(_time),
                dr_snapshot_id=None if restore_point else draw(_text),
                dr_disk_restore_point_id=draw(_text) if restore_point else None,
                copy_completed_at=draw(st.none() | _time),
            )
        )
    return tuple(out)


@st.composite
def _manifests(draw: st.DrawFn) -> RecoveryManifest:
    skew = draw(st.none() | st.floats(0, 3600, allow_nan=False))
    return manifest(
        disks=draw(_disks()),
        mode=draw(st.sampled_from(list(Mode))),
        consistency=ManifestConsistency(draw(st.sampled_from(list(Consistency))), skew),
        tags=draw(st.dictionaries(_text, st.text(max_size=256), max_size=5)),
        extensions=tuple(draw(st.lists(_text, max_size=3))),
        nics=(),
        image_reference=None,
    )


@given(_manifests())
def test_any_manifest_round_trips(original: RecoveryManifest) -> None:
    assert RecoveryManifest.from_json(original.to_json()) == original
