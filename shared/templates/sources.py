"""Facts about a template's source image: its Hyper-V generation, and whether DR has it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from shared.arm_id import ResourceId
from shared.azure.failures import AZURE_FAILURES, azure_failures, azure_kind
from shared.azure.galleries import ImageVersion, get_image_definition, get_image_version
from shared.azure.managed_images import get_image
from shared.azure.platform_images import PlatformImage, get_platform_image_generation
from shared.engine.names import dr_version_id
from shared.templates.readiness import hyperv_generation
from shared.templates.restore import Attention, SourceFacts

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.bootstrap import Deps

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _source(body: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    source = (body.get("properties") or {}).get("source") or {}
    return str(source.get("type", "")).lower(), source


def _probe(
    get: Callable[..., T | None], clients: AzureClients, rid: ResourceId
) -> tuple[T | None, bool]:
    """Return (resource or None, answered); one attempt, since the source region may be down."""
    try:
        with azure_failures("source probe"):
            return get(clients, rid, retries=0), True
    except AZURE_FAILURES as exc:
        logger.info(
            "source probe failed", extra={"resource_id": str(rid), "error": azure_kind(exc)}
        )
        return None, False


def _regions(version: ImageVersion) -> set[str]:
    """Regions where a gallery image version can be used as a build source.

    With a replicationStatus, only replicas that completed count (Image Builder needs the
    version in the template's region); otherwise the version's home and target regions.
    """
    if version.replication:
        return {r for r, rep in version.replication.items() if rep.state.lower() == "completed"}
    return {r for r in (version.location, *(t.name for t in version.target_regions)) if r}


def dr_gallery_copy(version_id: ResourceId, dr_region: str, deps: Deps) -> ResourceId | None:
    """Return the id the version would have in the DR gallery of `dr_region` (same image and
    version names)."""
    if len(version_id.names) != 3:
        return None
    copy = dr_version_id(deps.settings, version_id, dr_region)  # image DR's name for its copy
    return None if copy.key() == version_id.key() else copy


def source_facts(body: Mapping[str, Any], dr_region: str, deps: Deps) -> SourceFacts:
    """Return whether the template's source image can be used in `dr_region`.

    Platform images are everywhere (no facts). A managed image lives in the template's own
    region, so never in the DR region. A gallery version is available through a replica in
    the DR region, or through its copy in the DR gallery (which the restore then uses).
    Raises InvalidInput when the backup's source id is malformed.
    """
    kind, source = _source(body)
    if kind == "managedimage":
        return SourceFacts(in_dr_region=False)
    if kind != "sharedimageversion":
        return SourceFacts()
    version_id = ResourceId.parse(source.get("imageVersionId"), "properties.source.imageVersionId")
    copy = dr_gallery_copy(version_id, dr_region, deps)
    if copy is not None:
        found, _ = _probe(get_image_version, deps.clients, copy)
        if found is not None and dr_region in _regions(found):
            return SourceFacts(dr_copy_id=str(copy))
    found, answered = _probe(get_image_version, deps.clients, version_id)
    if not answered:
        return SourceFacts(in_dr_region=None)
    return SourceFacts(in_dr_region=found is not None and dr_region in _regions(found))


def source_generation(body: Mapping[str, Any], deps: Deps) -> int | None:
    """Return the source image's Hyper-V generation (1 or 2), None when it cannot be told.

    Read from metadata, never guessed from names: a platform image's version through the
    VM images API (in the template's region), a gallery version's image definition, a managed
    image. None (unknown) when the source cannot be read or reports no generation.
    """
    kind, source = _source(body)
    if kind == "platformimage":
        found = _platform_generation(body, source, deps)
        return hyperv_generation(found) if found else None
    if kind == "sharedimageversion":
        version_id = ResourceId.parse(source.get("imageVersionId"), "source.imageVersionId")
        definition, _ = _probe(get_image_definition, deps.clients, version_id.parent())
        return hyperv_generation(definition.hyper_v_generation) if definition else None
    if kind == "managedimage":
        image_id = ResourceId.parse(source.get("imageId"), "source.imageId")
        image, _ = _probe(get_image, deps.clients, image_id)
        return hyperv_generation(image.hyper_v_generation) if image else None
    return None


def _platform_generation(
    body: Mapping[str, Any], source: Mapping[str, Any], deps: Deps
) -> str | None:
    """`hyperVGeneration` of the platform image the template builds from; one quick attempt."""
    from shared.azure.failures import AZURE_FAILURES, azure_failures

    parts = [source.get(k) for k in ("publisher", "offer", "sku")]
    location, subscriptions = body.get("location"), deps.settings.subscriptions
    if not all(isinstance(p, str) and p for p in parts) or not location or not subscriptions:
        return None
    publisher, offer, sku = (str(p) for p in parts)
    version = str(source.get("version") or "latest")
    # The catalog is the same for every subscription; read it through one in scope.
    image = PlatformImage(subscriptions[0], str(location), publisher, offer, sku, version)
    try:
        with azure_failures("platform image probe"):
            return get_platform_image_generation(deps.clients, image, retries=0)
    except AZURE_FAILURES as exc:
        logger.info("platform image probe failed", extra={"error": type(exc).__name__})
        return None


def distribute_attention(body: Mapping[str, Any], deps: Deps) -> tuple[Attention, ...]:
    """Return attention items for SharedImage outputs whose DR image definition is missing.

    The restore points SharedImage outputs at the same definition in the DR gallery; Image
    Builder cannot publish a version into a definition that does not exist. One GET each, in
    the DR region. Raises InvalidInput when a galleryImageId is malformed.
    """
    found: list[Attention] = []
    for i, dist in enumerate((body.get("properties") or {}).get("distribute") or []):
        if str(dist.get("type", "")).lower() != "sharedimage":
            continue
        path = f"properties.distribute[{i}].galleryImageId"
        image_id = ResourceId.parse(dist.get("galleryImageId"), path)
        image, answered = _probe(get_image_definition, deps.clients, image_id)
        if image is None:
            found.append(_definition_attention(path, image_id, answered))
    return tuple(found)


def _definition_attention(path: str, image_id: ResourceId, answered: bool) -> Attention:
    if not answered:
        return Attention(
            "dr_gallery_image_unverified", path, f"could not check that {image_id} exists"
        )
    return Attention(
        "dr_gallery_image_missing",
        path,
        f"the DR image definition {image_id} does not exist; create it (same identifier, OS "
        "and generation as the source definition), or protect the source with image DR, "
        "before the DR template builds",
    )
