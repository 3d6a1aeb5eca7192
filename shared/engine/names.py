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


REGION_PLACEHOLDER = "{region}"
_GROUP_SETTING = "LIFEBOAT_DR_RESOURCE_GROUP"


def dr_resource_group(settings: Settings, region: str) -> str:
    """Return the resource group holding the DR artefacts of what `region` (a DR region) protects.

    The one place the name is derived: LIFEBOAT_DR_RESOURCE_GROUP with `{region}` replaced by
    the DR region (Settings validation refuses several DR regions without the placeholder).
    The group's location must be `region` (shared.azure.resource_groups checks it).
    """
    return settings.dr_resource_group.replace(REGION_PLACEHOLDER, region.lower())


def _group_pattern(settings: Settings) -> re.Pattern[str]:
    head, sep, tail = settings.dr_resource_group.partition(REGION_PLACEHOLDER)
    if not sep:
        return re.compile(re.escape(head), re.IGNORECASE)
    rest = re.escape(tail).replace(re.escape(REGION_PLACEHOLDER), "(?P=region)")
    return re.compile(f"{re.escape(head)}(?P<region>[a-z0-9]+){rest}", re.IGNORECASE)


def dr_group_region(settings: Settings, resource_group: str | None) -> str | None:
    """Return the DR region whose group `resource_group` is, or None when it is no DR group.

    Without the placeholder the group is that of the configuration's one DR region (None when
    LIFEBOAT_PRIMARY_REGIONS is unset: the region cannot be known from the name alone).
    """
    match = _group_pattern(settings).fullmatch(resource_group or "")
    if match is None:
        return None
    if REGION_PLACEHOLDER in settings.dr_resource_group:
        return match.group("region").lower()
    regions = dr_regions(settings)
    return regions[0] if len(regions) == 1 else None


def dr_regions(settings: Settings) -> tuple[str, ...]:
    """Return the DR regions of the configured primary regions, sorted, without repeats."""
    return tuple(sorted({settings.dr_region(p) for p in settings.primary_regions}))


def dr_gallery_id(settings: Settings, subscription: str, region: str) -> ResourceId:
    """Return the DR gallery's id in `subscription` for DR region `region`."""
    return ResourceId(
        subscription,
        dr_resource_group(settings, region),
        _COMPUTE,
        ("galleries",),
        (settings.dr_gallery_name,),
    )


def dr_definition_id(settings: Settings, source_version: ResourceId, region: str) -> ResourceId:
    """Return the DR image definition id: same name as the source definition, in the DR gallery."""
    gallery = dr_gallery_id(settings, source_version.subscription, region)
    return gallery.child("images", source_version.names[1])


def dr_version_id(settings: Settings, source_version: ResourceId, region: str) -> ResourceId:
    """Return the DR version id: same version name, under the DR definition."""
    definition = dr_definition_id(settings, source_version, region)
    return definition.child("versions", source_version.names[2])


def _compute(
    settings: Settings, subscription: str, region: str, type_: str, name: str
) -> ResourceId:
    group = dr_resource_group(settings, region)
    return ResourceId(subscription, group, _COMPUTE, (type_,), (name,))


def _source_hash(source: str, generation: str | None) -> str:
    """Hash of the source and its generation: a rebuilt image gets new names, never old copies."""
    return short_hash(f"{source}@{generation}" if generation else source)


def dr_image_id(
    settings: Settings, source_image: ResourceId, region: str, generation: str | None = None
) -> ResourceId:
    """Return the DR managed image id: the source name plus a hash of the source id."""
    name = _name(source_image.name, f"dr-{_source_hash(str(source_image), generation)}")
    return _compute(settings, source_image.subscription, region, "images", name)


def staging_snapshot_id(
    settings: Settings,
    source_image: ResourceId,
    label: str,
    region: str,
    generation: str | None = None,
) -> ResourceId:
    """Return the id of the primary-region incremental snapshot of one image disk."""
    suffix = f"{label}-src-{_source_hash(str(source_image), generation)}"
    name = _name(source_image.name, suffix)
    return _compute(settings, source_image.subscription, region, "snapshots", name)


def dr_snapshot_id(
    settings: Settings,
    source_image: ResourceId,
    label: str,
    region: str,
    generation: str | None = None,
) -> ResourceId:
    """Return the id of the DR-region copy of one image disk's snapshot."""
    suffix = f"{label}-dr-{_source_hash(str(source_image), generation)}"
    name = _name(source_image.name, suffix)
    return _compute(settings, source_image.subscription, region, "snapshots", name)


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


def staging_gallery_id(
    settings: Settings, subscription: str, region: str, dr_region: str
) -> ResourceId:
    """Return the staging gallery of one primary region `region` (gallery names allow no
    hyphens), in the DR group of `dr_region`."""
    name = f"{settings.dr_gallery_name}_staging_{region}"[:80]
    return _compute(settings, subscription, dr_region, "galleries", name)


def staging_definition_id(
    settings: Settings,
    source_image: ResourceId,
    region: str,
    dr_region: str,
    generation: str | None = None,
) -> ResourceId:
    """Return the staging image definition that publishes one managed image."""
    gallery = staging_gallery_id(settings, source_image.subscription, region, dr_region)
    name = _name(source_image.name, _source_hash(str(source_image), generation))
    return gallery.child("images", name)


def staging_version_id(
    settings: Settings,
    source_image: ResourceId,
    region: str,
    dr_region: str,
    generation: str | None = None,
) -> ResourceId:
    """Return the staging gallery version of one managed image (always 1.0.0)."""
    definition = staging_definition_id(settings, source_image, region, dr_region, generation)
    return definition.child("versions", "1.0.0")


def temp_disk_id(
    settings: Settings,
    source_image: ResourceId,
    label: str,
    region: str,
    generation: str | None = None,
) -> ResourceId:
    """Return the temporary disk made from the staging version for one image disk."""
    suffix = f"{label}-tmp-{_source_hash(str(source_image), generation)}"
    name = _name(source_image.name, suffix)
    return _compute(settings, source_image.subscription, region, "disks", name)


def is_lifeboat_resource(resource: ResourceId, settings: Settings) -> bool:
    """True for anything in a DR resource group: Lifeboat's own copies and staging, never a
    source (DR gallery, staging galleries `<dr gallery>_staging_<region>`, DR images...)."""
    return _group_pattern(settings).fullmatch(resource.resource_group or "") is not None


@dataclass(frozen=True)
class ImageNames:
    """Every staging and DR name of one managed image, for one generation (build run)."""

    settings: Settings
    image: ResourceId
    dr_region: str
    generation: str | None = None

    def dr_image(self) -> ResourceId:
        """The DR managed image."""
        return dr_image_id(self.settings, self.image, self.dr_region, self.generation)

    def dr_snapshot(self, label: str) -> ResourceId:
        """The DR-region copy of one disk."""
        return dr_snapshot_id(self.settings, self.image, label, self.dr_region, self.generation)

    def staging_snapshot(self, label: str) -> ResourceId:
        """The primary-region incremental snapshot of one disk."""
        image, region = self.image, self.dr_region
        return staging_snapshot_id(self.settings, image, label, region, self.generation)

    def temp_disk(self, label: str) -> ResourceId:
        """The temporary disk made from the staging version for one disk."""
        return temp_disk_id(self.settings, self.image, label, self.dr_region, self.generation)

    def staging_gallery(self, region: str) -> ResourceId:
        """The staging gallery of `region` (shared by every image there)."""
        return staging_gallery_id(self.settings, self.image.subscription, region, self.dr_region)

    def staging_definition(self, region: str) -> ResourceId:
        """The staging image definition publishing this image."""
        image, dr = self.image, self.dr_region
        return staging_definition_id(self.settings, image, region, dr, self.generation)

    def staging_version(self, region: str) -> ResourceId:
        """The staging gallery version publishing this image."""
        image, dr = self.image, self.dr_region
        return staging_version_id(self.settings, image, region, dr, self.generation)
