"""Gallery image version bodies: validation, defaults, target regions and the storage profile."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from emulator.core import errors
from emulator.core.store import type_of
from emulator.providers import gallery_replication as replication
from emulator.providers.locations import display_name, has_zones, is_known, programmatic

Body = dict[str, Any]
Lookup = Callable[[str], "Body | None"]

VERSION_NAME = re.compile(r"^\d{1,10}\.\d{1,10}\.\d{1,10}$")
STORAGE_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
_TR = "galleryImageVersion.properties.publishingProfile.targetRegions"
_SP = "galleryImageVersion.properties.storageProfile"


def check_name(name: str) -> None:
    """Raise 400 InvalidParameter unless `name` is Major.Minor.Patch (32-bit integers)."""
    if not VERSION_NAME.match(name) or any(int(p) > 2**31 - 1 for p in name.split(".")):
        raise errors.invalid_parameter(
            f"The gallery image version name '{name}' is invalid. It must follow the "
            "Major(int32).Minor(int32).Patch(int32) format.",
            "galleryImageVersionName",
        )


def target_regions(profile: Body, home: str) -> list[Body]:
    """Return normalised targetRegions (display names, defaults); raise 400 on bad entries.

    The version's own region (`home`) must be listed; Standard_ZRS needs a zonal region.
    """
    raw = profile.get("targetRegions") or [{"name": home}]
    out = [_target_region(profile, entry, index) for index, entry in enumerate(raw)]
    names = [programmatic(t["name"]) for t in out]
    if programmatic(home) not in names:
        raise errors.invalid_parameter(
            "The target regions of a gallery image version must include its location "
            f"'{display_name(home)}'.",
            _TR,
        )
    if len(set(names)) != len(names):
        raise errors.invalid_parameter("A target region is listed more than once.", _TR)
    return out


def _target_region(profile: Body, entry: Any, index: int) -> Body:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise errors.invalid_parameter("Each target region needs a name.", f"{_TR}[{index}]")
    region = entry["name"]
    if not is_known(region):
        raise errors.invalid_parameter(
            f"The region '{region}' is not a valid Azure region.", f"{_TR}[{index}].name"
        )
    kind = entry.get("storageAccountType") or profile.get("storageAccountType") or "Standard_LRS"
    _check_storage_type(kind, region, index)
    item = dict(entry)
    item.update(
        name=display_name(region),
        regionalReplicaCount=int(
            entry.get("regionalReplicaCount") or profile.get("replicaCount") or 1
        ),
        storageAccountType=kind,
        excludeFromLatest=bool(entry.get("excludeFromLatest", False)),
    )
    return item


def _check_storage_type(kind: str, region: str, index: int) -> None:
    if kind not in STORAGE_TYPES:
        raise errors.invalid_parameter(
            f"The storage account type '{kind}' is not supported; use one of "
            f"{', '.join(STORAGE_TYPES)}.",
            f"{_TR}[{index}].storageAccountType",
        )
    if kind == "Standard_ZRS" and not has_zones(region):
        raise errors.invalid_parameter(
            f"Storage account type 'Standard_ZRS' is not supported in region "
            f"'{display_name(region)}', which has no availability zones.",
            f"{_TR}[{index}].storageAccountType",
        )


def publishing_profile(profile: Body, home: str, published: str) -> Body:
    """Return the stored publishingProfile with defaults (replicaCount 1, Standard_LRS)."""
    out = dict(profile)
    out["targetRegions"] = target_regions(profile, home)
    out.setdefault("replicaCount", 1)
    out.setdefault("excludeFromLatest", False)
    out.setdefault("storageAccountType", "Standard_LRS")
    out["publishedDate"] = published
    return out


def removed_regions(old: list[Body], new: list[Body]) -> list[str]:
    """Return the programmatic names present in `old` but not in `new`."""
    kept = {programmatic(t["name"]) for t in new}
    return [programmatic(t["name"]) for t in old if programmatic(t["name"]) not in kept]


def check_immutable(old: list[Body], new: list[Body]) -> None:
    """Raise 400 PropertyChangeNotAllowed when an existing region's storageAccountType changes."""
    before = {programmatic(t["name"]): t.get("storageAccountType") for t in old}
    for index, entry in enumerate(new):
        previous = before.get(programmatic(entry["name"]))
        if previous is not None and previous != entry.get("storageAccountType"):
            target = f"{_TR}[{index}].storageAccountType"
            raise errors.ArmError(
                400,
                "PropertyChangeNotAllowed",
                f"Changing property '{target}' is not allowed.",
                target=target,
            )


def storage_profile(profile: Body, home: str, lookup: Lookup, meta_of: Lookup) -> Body:
    """Return the stored storageProfile, sizes filled from the source; raise 400 on bad sources.

    Sources: source.id of a managed image, snapshot, disk, VM or another gallery image
    version (whose replica must be complete in `home`), or osDiskImage.source.id snapshots.
    """
    out: Body = {
        k: v for k, v in profile.items() if k in {"source", "osDiskImage", "dataDiskImages"}
    }
    source_id = (profile.get("source") or {}).get("id") or (profile.get("source") or {}).get(
        "virtualMachineId"
    )
    os_disk = dict(out.get("osDiskImage") or {})
    if source_id:
        derived = _from_source(source_id, home, lookup, meta_of)
        os_disk = {**derived.get("osDiskImage", {}), **os_disk}
        out.setdefault("dataDiskImages", derived.get("dataDiskImages", []))
    elif (os_disk.get("source") or {}).get("id"):
        disk = _same_region_source(os_disk["source"]["id"], home, lookup, f"{_SP}.osDiskImage")
        os_disk.setdefault("sizeInGB", _size(disk))
    else:
        raise errors.invalid_parameter(
            "The gallery image version needs a source: storageProfile.source.id or "
            "storageProfile.osDiskImage.source.id.",
            _SP,
        )
    os_disk.setdefault("hostCaching", "ReadOnly")
    out["osDiskImage"] = os_disk
    out["dataDiskImages"] = [_data_disk(d, home, lookup) for d in out.get("dataDiskImages") or []]
    return out


def _data_disk(disk: Body, home: str, lookup: Lookup) -> Body:
    out = dict(disk)
    source = (disk.get("source") or {}).get("id")
    if source and "sizeInGB" not in out:
        out["sizeInGB"] = _size(_same_region_source(source, home, lookup, f"{_SP}.dataDiskImages"))
    out.setdefault("hostCaching", "None")
    return out


def _size(resource: Body) -> int:
    props = resource.get("properties") or {}
    return int(props.get("diskSizeGB") or 30)


def _same_region_source(source_id: str, home: str, lookup: Lookup, target: str) -> Body:
    source = lookup(source_id)
    if source is None:
        raise errors.invalid_parameter(f"The source resource '{source_id}' was not found.", target)
    if programmatic(source.get("location") or "") != programmatic(home):
        raise errors.invalid_parameter(
            f"The source resource '{source_id}' is in region "
            f"'{display_name(source.get('location') or '')}'; it must be in the gallery image "
            f"version's region '{display_name(home)}'.",
            target,
        )
    return source


def _from_source(source_id: str, home: str, lookup: Lookup, meta_of: Lookup) -> Body:
    kind = type_of(source_id).lower()
    if kind == "microsoft.compute/galleries/images/versions":
        return _from_version(source_id, home, lookup, meta_of)
    source = _same_region_source(source_id, home, lookup, f"{_SP}.source.id")
    if kind == "microsoft.compute/images":
        sp = (source.get("properties") or {}).get("storageProfile") or {}
        os_disk = sp.get("osDisk") or {}
        return {
            "osDiskImage": {"sizeInGB": int(os_disk.get("diskSizeGB") or 30)},
            "dataDiskImages": [
                {"lun": d.get("lun", i), "sizeInGB": int(d.get("diskSizeGB") or 30)}
                for i, d in enumerate(sp.get("dataDisks") or [])
            ],
        }
    return {"osDiskImage": {"sizeInGB": _size(source)}}


def _from_version(source_id: str, home: str, lookup: Lookup, meta_of: Lookup) -> Body:
    source = lookup(source_id)
    target = f"{_SP}.source.id"
    if source is None:
        raise errors.invalid_parameter(f"The source resource '{source_id}' was not found.", target)
    if not replication.completed_in(meta_of(source_id) or {}, home):
        raise errors.invalid_parameter(
            f"The source gallery image version '{source_id}' is not replicated to region "
            f"'{display_name(home)}'. Replicate it there first, then copy it.",
            target,
        )
    sp = (source.get("properties") or {}).get("storageProfile") or {}
    os_disk = {k: v for k, v in (sp.get("osDiskImage") or {}).items() if k != "source"}
    data = [{k: v for k, v in d.items() if k != "source"} for d in sp.get("dataDiskImages") or []]
    return {"osDiskImage": os_disk, "dataDiskImages": data}
