"""Deterministic names of every DR artefact, within Azure's name rules (pure)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
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


def _compute(settings: Settings, subscription: str, type_: str, name: str) -> ResourceId:
    return ResourceId(subscription, settings.dr_resource_group, _COMPUTE, (type_,), (name,))


def _source_hash(source: str, generation: str | None) -> str:
    """Hash of the source and its generation: a rebuilt image gets new names, never old copies."""
    return short_hash(f"{source}@{generation}" if generation else source)


def dr_image_id(
    settings: Settings, source_image: ResourceId, generation: str | None = None
) -> ResourceId:
    """Return the DR managed image id: the source name plus a hash of the source id."""
    name = _name(source_image.name, f"dr-{_source_hash(str(source_image), generation)}")
    return _compute(settings, source_image.subscription, "images", name)


def staging_snapshot_id(
    settings: Settings, source_image: ResourceId, label: str, generation: str | None = None
) -> ResourceId:
    """Return the id of the primary-region incremental snapshot of one image disk."""
    suffix = f"{label}-src-{_source_hash(str(source_image), generation)}"
    return _compute(
        settings, source_image.subscription, "snapshots", _name(source_image.name, suffix)
    )


def dr_snapshot_id(
    settings: Settings, source_image: ResourceId, label: str, generation: str | None = None
) -> ResourceId:
    """Return the id of the DR-region copy of one image disk's snapshot."""
    suffix = f"{label}-dr-{_source_hash(str(source_image), generation)}"
    return _compute(
        settings, source_image.subscription, "snapshots", _name(source_image.name, suffix)
    )


def strip_query(url: str) -> str:
    """Return `url` without its query string (never keep a SAS around)."""
    return url.split("?", 1)[0]


def dr_blob_name(source_url: str, generation: str | None = None) -> str:
    """Return the DR blob name of a VHD: `<hash of source URL (+ generation)>/<file name>`."""
    clean = strip_query(source_url)
    path = unquote(urlparse(clean).path)
    base = _BAD.sub("-", path.rsplit("/", 1)[-1]) or "image.vhd"
    keyed = f"{clean}@{generation}" if generation else clean
    return f"{short_hash(keyed, 16)}/{base[:200]}"


def staging_gallery_id(settings: Settings, subscription: str, region: str) -> ResourceId:
    """Return the staging gallery of one primary region (gallery names allow no hyphens)."""
    name = f"{settings.dr_gallery_name}_staging_{region}"[:80]
    return ResourceId(subscription, settings.dr_resource_group, _COMPUTE, ("galleries",), (name,))


def staging_definition_id(
    settings: Settings, source_image: ResourceId, region: str, generation: str | None = None
) -> ResourceId:
    """Return the staging image definition that publishes one managed image."""
    gallery = staging_gallery_id(settings, source_image.subscription, region)
    name = _name(source_image.name, _source_hash(str(source_image), generation))
    return gallery.child("images", name)


def staging_version_id(
    settings: Settings, source_image: ResourceId, region: str, generation: str | None = None
) -> ResourceId:
    """Return the staging gallery version of one managed image (always 1.0.0)."""
    definition = staging_definition_id(settings, source_image, region, generation)
    return definition.child("versions", "1.0.0")


def temp_disk_id(
    settings: Settings, source_image: ResourceId, label: str, generation: str | None = None
) -> ResourceId:
    """Return the temporary disk made from the staging version for one image disk."""
    suffix = f"{label}-tmp-{_source_hash(str(source_image), generation)}"
    return _compute(settings, source_image.subscription, "disks", _name(source_image.name, suffix))


def is_lifeboat_resource(resource: ResourceId, settings: Settings) -> bool:
    """True for anything in the DR resource group: Lifeboat's own copies and staging, never a
    source (DR gallery, staging galleries `<dr gallery>_staging_<region>`, DR images...)."""
    return (resource.resource_group or "").lower() == settings.dr_resource_group.lower()


@dataclass(frozen=True)
class ImageNames:
    """Every staging and DR name of one managed image, for one generation (build run)."""

    settings: Settings
    image: ResourceId
    generation: str | None = None

    def dr_image(self) -> ResourceId:
        """The DR managed image."""
        return dr_image_id(self.settings, self.image, self.generation)

    def dr_snapshot(self, label: str) -> ResourceId:
        """The DR-region copy of one disk."""
        return dr_snapshot_id(self.settings, self.image, label, self.generation)

    def staging_snapshot(self, label: str) -> ResourceId:
        """The primary-region incremental snapshot of one disk."""
        return staging_snapshot_id(self.settings, self.image, label, self.generation)

    def temp_disk(self, label: str) -> ResourceId:
        """The temporary disk made from the staging version for one disk."""
        return temp_disk_id(self.settings, self.image, label, self.generation)

    def staging_gallery(self, region: str) -> ResourceId:
        """The staging gallery of `region` (shared by every image there)."""
        return staging_gallery_id(self.settings, self.image.subscription, region)

    def staging_definition(self, region: str) -> ResourceId:
        """The staging image definition publishing this image."""
        return staging_definition_id(self.settings, self.image, region, self.generation)

    def staging_version(self, region: str) -> ResourceId:
        """The staging gallery version publishing this image."""
        return staging_version_id(self.settings, self.image, region, self.generation)
