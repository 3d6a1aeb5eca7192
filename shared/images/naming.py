"""Deterministic names of every DR artefact, within Azure's name rules (pure)."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote, urlparse

from shared.arm_id import ResourceId
from shared.config import Settings

# Images and snapshots: 1-80 chars of [A-Za-z0-9_.-], starting alphanumeric, not ending in '.'/'-'.
_MAX_NAME = 80
_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_COMPUTE = "Microsoft.Compute"


def short_hash(text: str, length: int = 8) -> str:
    """Return the first `length` hex digits of the SHA-256 of `text`, case-folded."""
    return hashlib.sha256(text.lower().encode()).hexdigest()[:length]


def _name(base: str, suffix: str) -> str:
    """`base` cleaned and cut so that `base-suffix` fits in 80 characters."""
    clean = _BAD.sub("-", base).strip("-._") or "image"
    room = _MAX_NAME - len(suffix) - 1
    return f"{clean[:room].rstrip('-.')}-{suffix}"


def dr_gallery_id(settings: Settings, subscription: str) -> ResourceId:
    """Return the DR gallery's id in `subscription` (Settings.dr_gallery_name)."""
    return ResourceId(
        subscription,
        settings.dr_resource_group,
        _COMPUTE,
        ("galleries",),
        (settings.dr_gallery_name,),
    )


def dr_definition_id(settings: Settings, source_version: ResourceId) -> ResourceId:
    """Return the DR image definition id: same name as the source definition, in the DR gallery."""
    gallery = dr_gallery_id(settings, source_version.subscription)
    return gallery.child("images", source_version.names[1])


def dr_version_id(settings: Settings, source_version: ResourceId) -> ResourceId:
    """Return the DR version id: same version name, under the DR definition."""
    return dr_definition_id(settings, source_version).child("versions", source_version.names[2])


def source_definition_id(version: ResourceId) -> ResourceId:
    """Return the image definition a version belongs to."""
    return version.parent()


def _compute(settings: Settings, subscription: str, type_: str, name: str) -> ResourceId:
    return ResourceId(subscription, settings.dr_resource_group, _COMPUTE, (type_,), (name,))


def dr_image_id(settings: Settings, source_image: ResourceId) -> ResourceId:
    """Return the DR managed image id: the source name plus a hash of the source id."""
    name = _name(source_image.name, f"dr-{short_hash(str(source_image))}")
    return _compute(settings, source_image.subscription, "images", name)


def staging_snapshot_id(settings: Settings, source_image: ResourceId, label: str) -> ResourceId:
    """Return the id of the primary-region incremental snapshot of one image disk."""
    name = _name(source_image.name, f"{label}-src-{short_hash(str(source_image))}")
    return _compute(settings, source_image.subscription, "snapshots", name)


def dr_snapshot_id(settings: Settings, source_image: ResourceId, label: str) -> ResourceId:
    """Return the id of the DR-region copy of one image disk's snapshot."""
    name = _name(source_image.name, f"{label}-dr-{short_hash(str(source_image))}")
    return _compute(settings, source_image.subscription, "snapshots", name)


def strip_query(url: str) -> str:
    """Return `url` without its query string (never keep a SAS around)."""
    return url.split("?", 1)[0]


def dr_blob_name(source_url: str) -> str:
    """Return the DR blob name of a VHD: `<hash of source URL>/<source file name>`."""
    clean = strip_query(source_url)
    path = unquote(urlparse(clean).path)
    base = _BAD.sub("-", path.rsplit("/", 1)[-1]) or "image.vhd"
    return f"{short_hash(clean, 16)}/{base[:200]}"


def staging_gallery_id(settings: Settings, subscription: str, region: str) -> ResourceId:
    """Return the staging gallery of one primary region (gallery names allow no hyphens)."""
    name = f"{settings.dr_gallery_name}_staging_{region}"[:80]
    return ResourceId(subscription, settings.dr_resource_group, _COMPUTE, ("galleries",), (name,))


def staging_definition_id(settings: Settings, source_image: ResourceId, region: str) -> ResourceId:
    """Return the staging image definition that publishes one managed image."""
    gallery = staging_gallery_id(settings, source_image.subscription, region)
    return gallery.child("images", _name(source_image.name, short_hash(str(source_image))))


def staging_version_id(settings: Settings, source_image: ResourceId, region: str) -> ResourceId:
    """Return the staging gallery version of one managed image (always 1.0.0)."""
    return staging_definition_id(settings, source_image, region).child("versions", "1.0.0")


def temp_disk_id(settings: Settings, source_image: ResourceId, label: str) -> ResourceId:
    """Return the temporary disk made from the staging version for one image disk."""
    name = _name(source_image.name, f"{label}-tmp-{short_hash(str(source_image))}")
    return _compute(settings, source_image.subscription, "disks", name)
