"""What outage planning reads: the protected estate and the DR region's facts.

Everything here reads DR-region storage (recovery manifests, template backups, image records)
or global/DR-region ARM (Resource SKUs, Resource Graph), never the primary region, so a plan
can be made while the primary region is down.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.jobs.messages import parse_time
from shared.outages.dr_facts import DrRegionFacts, DrSubnet, VmSku, vm_sku_from_resource_sku
from shared.outages.inventory import (
    DrImageRecord,
    Inventory,
    ProtectedVm,
    TemplateBackup,
    protected_vm,
)
from shared.vms.manifest import RecoveryManifest
from shared.vms.records import list_sets, read_manifest

if TYPE_CHECKING:
    from shared.bootstrap import Deps

logger = logging.getLogger(__name__)


def _vms(deps: Deps) -> tuple[ProtectedVm, ...]:
    """Each protected VM with its newest complete set (one listing, one read per VM)."""
    newest: dict[str, str] = {}
    ids: dict[str, str] = {}
    for summary in list_sets(deps.records):  # oldest first: the last one seen wins
        key = summary.vm_id.lower()
        ids[key] = summary.vm_id
        newest[key] = summary.set_id
    by_vm: dict[str, list[RecoveryManifest]] = defaultdict(list)
    for key, set_id in sorted(newest.items()):
        try:
            manifest = read_manifest(deps.records, ids[key], set_id)
        except InvalidInput as exc:
            logger.warning("skipping a damaged manifest of %s: %s", ids[key], exc)
            continue
        if manifest is not None:
            by_vm[key].append(manifest)
    return tuple(protected_vm(tuple(m)) for _, m in sorted(by_vm.items()))


def _templates(deps: Deps) -> tuple[TemplateBackup, ...]:
    out = []
    for pointer in deps.backups.list_pointers():
        if pointer.deleted:
            continue
        try:
            template_id = ResourceId.parse(pointer.template_id, "templateId")
            data = deps.backups.read_version(template_id, pointer.content_hash)
            body = json.loads(data) if data else {}
        except (InvalidInput, ValueError) as exc:
            logger.warning("skipping template backup %s: %s", pointer.template_id, exc)
            continue
        region = str((body or {}).get("location") or "")
        if not region:
            continue
        out.append(
            TemplateBackup(
                template_id=pointer.template_id,
                region=region,
                backup_version=pointer.content_hash,
                backed_up_at=pointer.captured_at,
                tags=dict(body.get("tags") or {}),
            )
        )
    return tuple(sorted(out, key=lambda t: t.template_id.lower()))


def _image(body: dict[str, Any]) -> DrImageRecord | None:
    artifact = body.get("artifact") or {}
    region = artifact.get("region")
    source = artifact.get("source")
    if not isinstance(region, str) or not isinstance(source, str) or not source.startswith("/"):
        return None
    ready = body.get("state") == "dr_ready"
    versions = [a for a in body.get("dr_artifacts") or () if "/versions/" in str(a).lower()]
    at = body.get("dr_ready_at")
    return DrImageRecord(
        image_id=source,
        region=region,
        dr_image_version_id=str(versions[-1]) if ready and versions else None,
        replicated_at=parse_time(at) if ready and isinstance(at, str) else None,
        tags={},
    )


def _newer(a: DrImageRecord, b: DrImageRecord) -> bool:
    if a.replicated_at is None:
        return False
    return b.replicated_at is None or a.replicated_at > b.replicated_at


def _images(deps: Deps) -> tuple[DrImageRecord, ...]:
    from shared.images.records import list_artifacts

    found: dict[str, DrImageRecord] = {}
    for summary in list_artifacts(deps.records):
        body = deps.records.get(summary.name)
        with contextlib.suppress(InvalidInput, ValueError, TypeError):
            image = _image(body or {})
            if image is None:
                continue
            key = image.image_id.lower()
            prior = found.get(key)
            if prior is None or _newer(image, prior):
                found[key] = image
    return tuple(found[k] for k in sorted(found))


def load_estate(deps: Deps) -> Inventory:
    """Return what Lifeboat protects, from DR-region records and manifests only.

    VMs from their recovery manifests (the newest complete set of each), templates from their
    backups (deps.backups), images from their DR recovery records (deps.records). Damaged
    documents are logged and left out; the primary region is never read.
    """
    return Inventory(vms=_vms(deps), templates=_templates(deps), images=_images(deps))


_SUBNETS = (
    "resources | where type =~ 'microsoft.network/virtualnetworks' and location =~ '{region}'"
    " | project id, properties"
)
_NICS = (
    "resources | where type =~ 'microsoft.network/networkinterfaces' and location =~ '{region}'"
    " | project id, properties"
)


def _subnets(deps: Deps, region: str) -> tuple[DrSubnet, ...]:
    from shared.azure.resource_graph import query_resources

    subs = deps.settings.subscriptions
    used: dict[str, set[str]] = defaultdict(set)
    for row in query_resources(deps.clients, _NICS.format(region=region), subs):
        for config in (row.get("properties") or {}).get("ipConfigurations") or []:
            props = config.get("properties") or {}
            subnet = str((props.get("subnet") or {}).get("id") or "").lower()
            address = props.get("privateIPAddress")
            if subnet and isinstance(address, str):
                used[subnet].add(address)
    out = []
    for row in query_resources(deps.clients, _SUBNETS.format(region=region), subs):
        for subnet in (row.get("properties") or {}).get("subnets") or []:
            sid = str(subnet.get("id") or "")
            props = subnet.get("properties") or {}
            prefix = props.get("addressPrefix") or next(
                iter(props.get("addressPrefixes") or []), None
            )
            if sid and isinstance(prefix, str):
                out.append(DrSubnet(sid, prefix, frozenset(used.get(sid.lower(), ()))))
    return tuple(sorted(out, key=lambda s: s.subnet_id.lower()))


def _merge_sku(a: VmSku, b: VmSku) -> VmSku:
    """The stricter view of one size seen by two subscriptions (restrictions of both)."""
    from dataclasses import replace

    zones = tuple(sorted(set(a.zones) & set(b.zones)))
    return replace(a, zones=zones, restrictions=a.restrictions + b.restrictions)


def _skus(deps: Deps, region: str) -> tuple[VmSku, ...]:
    from shared.azure.dr_region import list_vm_skus

    found: dict[str, VmSku] = {}
    for subscription in deps.settings.subscriptions:
        for raw in list_vm_skus(deps.clients, subscription, region):
            with contextlib.suppress(InvalidInput):
                sku = vm_sku_from_resource_sku(raw, region)
                key = sku.name.lower()
                found[key] = _merge_sku(found[key], sku) if key in found else sku
    return tuple(found[k] for k in sorted(found))


def load_dr_facts(deps: Deps, dr_region: str) -> DrRegionFacts:
    """Return the DR region's facts for preflight: VM sizes (Resource SKUs, per subscription in
    scope, restrictions of any of them kept) and the subnets there with the addresses in use
    (Resource Graph). Reads nothing in the primary region."""
    return DrRegionFacts.of(dr_region, _skus(deps, dr_region), _subnets(deps, dr_region))
