"""Pure restore planning: a backed-up template rewritten for the DR region, with what changed."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from shared.arm_id import ResourceId
from shared.regions import normalize_region
from shared.templates.backup import TEMPLATE_TYPE, content_hash
from shared.templates.restore_model import (
    HASH_TAG,
    SOURCE_TAG,
    TAG_VALUE_LIMIT,
    Attention,
    Change,
    RestoreSpec,
    RestoreTarget,
    SourceFacts,
    already_restored,
    dr_name,
    dr_template_name,
    validate_template_name,
)

_IMAGE_NAME_LIMIT = 80  # Microsoft.Compute/images: 1-80 characters

__all__ = [
    "HASH_TAG",
    "SOURCE_TAG",
    "Attention",
    "Change",
    "RestoreSpec",
    "RestoreTarget",
    "SourceFacts",
    "already_restored",
    "dr_template_name",
    "prepare_restore",
    "validate_template_name",
]


def _lookup(mapping: Mapping[str, str], key: str) -> str | None:
    wanted = key.strip().lower()
    for k, v in mapping.items():
        if k.strip().lower() == wanted:
            return v
    return None


class _Rewriter:
    def __init__(self, target: RestoreTarget, subscription: str, primary: str) -> None:
        self.target = target
        self.subscription = subscription
        self.primary = primary
        self.changes: list[Change] = []
        self.attention: list[Attention] = []

    def change(self, path: str, before: Any, after: Any, reason: str) -> None:
        self.changes.append(Change(path, before, after, reason))

    def attend(self, code: str, path: str, message: str) -> None:
        self.attention.append(Attention(code, path, message))

    def dr_id(self, namespace: str, types: tuple[str, ...], names: tuple[str, ...]) -> str:
        rg = self.target.resource_group
        return str(ResourceId(self.subscription, rg, namespace, types, names))

    def mapped(self, mapping: Mapping[str, str], value: str, path: str, kind: str) -> str:
        found = _lookup(mapping, value)
        if found is None:
            setting = "LIFEBOAT_SUBNET_MAP" if kind == "subnet" else "LIFEBOAT_IDENTITY_MAP"
            self.attend(
                f"{kind}_unmapped",
                path,
                f"{kind} {value} has no DR counterpart in {setting}; it is regional and may be "
                f"unusable in {self.target.dr_region}",
            )
            return value
        self.change(path, value, found, f"{kind} mapped to its DR counterpart")
        return found


def _staging(props: dict[str, Any], rw: _Rewriter) -> None:
    staging = props.pop("stagingResourceGroup", None)
    if staging:
        rw.change(
            "properties.stagingResourceGroup",
            staging,
            None,
            "a staging group must be empty and in the template's region; Image Builder creates "
            "a new one in the DR region",
        )


def _vm_profile(props: dict[str, Any], rw: _Rewriter) -> None:
    profile = props.get("vmProfile")
    if not isinstance(profile, dict):
        return
    vnet = profile.get("vnetConfig")
    if isinstance(vnet, dict):
        for key in ("subnetId", "containerInstanceSubnetId"):
            if isinstance(vnet.get(key), str) and vnet[key]:
                path = f"properties.vmProfile.vnetConfig.{key}"
                vnet[key] = rw.mapped(rw.target.subnet_map, vnet[key], path, "subnet")
    users = profile.get("userAssignedIdentities")
    if isinstance(users, list):
        path = "properties.vmProfile.userAssignedIdentities"
        profile["userAssignedIdentities"] = [
            rw.mapped(rw.target.identity_map, u, f"{path}[{i}]", "identity")
            for i, u in enumerate(users)
        ]


def _identity(body: dict[str, Any], rw: _Rewriter) -> None:
    identity = body.get("identity")
    users = identity.get("userAssignedIdentities") if isinstance(identity, dict) else None
    if not isinstance(identity, dict) or not isinstance(users, dict):
        return
    identity["userAssignedIdentities"] = {
        rw.mapped(rw.target.identity_map, key, "identity.userAssignedIdentities", "identity"): val
        for key, val in users.items()
    }


def _managed_image(dist: dict[str, Any], path: str, rw: _Rewriter) -> None:
    if dist.get("location") != rw.target.dr_region:
        rw.change(f"{path}.location", dist.get("location"), rw.target.dr_region, "DR region")
        dist["location"] = rw.target.dr_region
    image = ResourceId.parse(dist.get("imageId"), f"{path}.imageId")
    name = dr_name(image.name, rw.target.dr_region, str(image), _IMAGE_NAME_LIMIT)
    new_id = rw.dr_id("Microsoft.Compute", ("images",), (name,))
    if new_id != dist["imageId"]:
        rw.change(f"{path}.imageId", dist["imageId"], new_id, "managed image in the DR group")
        dist["imageId"] = new_id


def _regions(dist: dict[str, Any], path: str, rw: _Rewriter) -> None:
    dr, primary = rw.target.dr_region, rw.primary
    targets = dist.get("targetRegions")
    if isinstance(targets, list):
        kept = [t for t in targets if normalize_region(t.get("name", ""), path) != primary]
        if not any(normalize_region(t.get("name", ""), path) == dr for t in kept):
            replica = {
                "name": dr,
                "replicaCount": rw.target.replica_count,
                "storageAccountType": rw.target.storage_account_type,
            }
            kept.insert(0, replica)
        if kept != targets:
            reason = "replicate in the DR region, not the failed primary"
            rw.change(f"{path}.targetRegions", targets, kept, reason)
            dist["targetRegions"] = kept
    legacy = dist.get("replicationRegions")
    if isinstance(legacy, list):
        names = [normalize_region(r, path) for r in legacy]
        new = [dr] + [r for r in names if r not in (dr, primary)]
        if new != legacy:
            rw.change(f"{path}.replicationRegions", legacy, new, "DR gallery region first")
            dist["replicationRegions"] = new


def _shared_image(dist: dict[str, Any], path: str, rw: _Rewriter) -> None:
    image = ResourceId.parse(dist.get("galleryImageId"), f"{path}.galleryImageId")
    new_id = rw.dr_id(
        "Microsoft.Compute", ("galleries", "images"), (rw.target.gallery_name, image.name)
    )
    if new_id != dist["galleryImageId"]:
        rw.change(f"{path}.galleryImageId", dist["galleryImageId"], new_id, "DR gallery image")
        dist["galleryImageId"] = new_id
    _regions(dist, path, rw)


def _vhd(dist: dict[str, Any], path: str, rw: _Rewriter) -> None:
    uri = dist.get("uri")
    if not isinstance(uri, str) or not uri:
        return
    # https://<account>.blob.../<container>/<blob path> becomes <account>/<container>/<blob
    # path> in the DR container: same-named VHDs of different accounts or containers stay apart.
    host, _, blob_path = uri.split("?", 1)[0].split("://", 1)[-1].partition("/")
    new = f"{rw.target.vhd_container_url.rstrip('/')}/{host.split('.', 1)[0]}/{blob_path}"
    rw.change(f"{path}.uri", uri, new, "VHD written to the DR storage account")
    dist["uri"] = new


_DISTRIBUTORS = {"managedimage": _managed_image, "sharedimage": _shared_image, "vhd": _vhd}


def _distribute(props: dict[str, Any], rw: _Rewriter) -> None:
    for i, dist in enumerate(props.get("distribute") or []):
        rewrite = _DISTRIBUTORS.get(str(dist.get("type", "")).lower())
        if rewrite is not None:
            rewrite(dist, f"properties.distribute[{i}]", rw)


def _source(props: dict[str, Any], rw: _Rewriter, facts: SourceFacts) -> None:
    source = props.get("source") or {}
    kind = str(source.get("type", "")).lower()
    key = {"managedimage": "imageId", "sharedimageversion": "imageVersionId"}.get(kind)
    if key is None:
        return  # platform images are published in every region
    path = f"properties.source.{key}"
    if facts.dr_copy_id:
        rw.change(path, source.get(key), facts.dr_copy_id, "copy of the source in the DR region")
        source[key] = facts.dr_copy_id
    elif facts.in_dr_region is None:
        message = f"could not check whether {source.get(key)} is available in {rw.target.dr_region}"
        rw.attend("source_unverified", path, message)
    elif not facts.in_dr_region:
        message = (
            f"{source.get(key)} is not available in {rw.target.dr_region}; Image Builder needs "
            "the source in the template's region (replicate it there, or protect it with image DR)"
        )
        rw.attend("source_not_in_dr_region", path, message)


def _tag(body: dict[str, Any], source_id: ResourceId) -> str:
    """Tag the body with its source and its own content hash (taken without that tag)."""
    tags = dict(body.get("tags") or {})
    tags[SOURCE_TAG] = str(source_id)[:TAG_VALUE_LIMIT]
    tags.pop(HASH_TAG, None)
    body["tags"] = tags
    digest = content_hash(body)
    body["tags"] = {**tags, HASH_TAG: digest}
    return digest


def prepare_restore(
    source_id: ResourceId,
    backup: Mapping[str, Any],
    target: RestoreTarget,
    facts: SourceFacts,
    name: str | None = None,
) -> RestoreSpec:
    """Return the plan to recreate the backed-up template `backup` in `target.dr_region`.

    Raises InvalidInput when the backup body is damaged (no location, bad resource ids).
    """
    body = copy.deepcopy(dict(backup))
    primary = normalize_region(body.get("location"), "backup.location")
    rw = _Rewriter(target, source_id.subscription, primary)
    rw.change("location", primary, target.dr_region, "DR region")
    body["location"] = target.dr_region
    props = body.setdefault("properties", {})
    _staging(props, rw)
    _vm_profile(props, rw)
    _identity(body, rw)
    _distribute(props, rw)
    _source(props, rw, facts)
    digest = _tag(body, source_id)
    name = name or dr_template_name(source_id, target.dr_region)
    target_id = ResourceId(source_id.subscription, target.resource_group, *_template_type(name))
    return RestoreSpec(target_id, body, digest, tuple(rw.changes), tuple(rw.attention))


def _template_type(name: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    namespace, type_ = TEMPLATE_TYPE.split("/", 1)
    return namespace, (type_,), (name,)
