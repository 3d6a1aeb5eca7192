"""Impacted regions and services of an incident → the protected items at risk (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shared.events.constants import squash
from shared.outages.inventory import DrImageRecord, Inventory, ProtectedVm, TemplateBackup
from shared.outages.ledger import IncidentView
from shared.outages.notification import GLOBAL_REGION, RegionStatus


class ItemKind(StrEnum):
    """The kinds of protected item a plan recovers."""

    TEMPLATE = "template"
    IMAGE = "image"
    VM = "vm"


# Service Health service names (squashed, "azure" prefix dropped) → what their outage puts at
# risk. Managed disks and storage put VMs at risk: their DR copies are what recovery uses.
_SERVICE_KINDS: dict[str, frozenset[ItemKind]] = {
    "virtualmachines": frozenset({ItemKind.VM}),
    "virtualmachinescalesets": frozenset({ItemKind.VM}),
    "manageddisks": frozenset({ItemKind.VM}),
    "storage": frozenset({ItemKind.VM, ItemKind.IMAGE}),
    "imagebuilder": frozenset({ItemKind.TEMPLATE}),
    "virtualmachineimagebuilder": frozenset({ItemKind.TEMPLATE}),
    "computegallery": frozenset({ItemKind.IMAGE}),
    "sharedimagegallery": frozenset({ItemKind.IMAGE}),
}


def kinds_of_service(service: str) -> frozenset[ItemKind]:
    """Return the item kinds an outage of `service` puts at risk (empty when none)."""
    key = squash(service)
    key = key.removeprefix("azure")
    return _SERVICE_KINDS.get(key, frozenset())


@dataclass(frozen=True)
class Exposure:
    """The protected items an incident puts at risk, and the services nothing matched."""

    vms: tuple[ProtectedVm, ...]
    templates: tuple[TemplateBackup, ...]
    images: tuple[DrImageRecord, ...]
    services_unmatched: tuple[str, ...]
    dr_regions_impacted: tuple[str, ...]
    """Active impacted regions that are also DR regions of an item at risk (plans warn)."""

    @property
    def empty(self) -> bool:
        """True when nothing protected is at risk."""
        return not (self.vms or self.templates or self.images)


def _risk(view: IncidentView) -> dict[ItemKind, set[str]]:
    """Kind → impacted active regions ("global" stands for every region)."""
    risk: dict[ItemKind, set[str]] = {k: set() for k in ItemKind}
    if view.finished:
        return risk
    for impact in view.impacts:
        if impact.status is RegionStatus.ACTIVE:
            for kind in kinds_of_service(impact.service):
                risk[kind].add(impact.region.lower())
    return risk


def _hit(regions: set[str], region: str) -> bool:
    return GLOBAL_REGION in regions or region.lower() in regions


def _dr_regions(vms: Iterable[ProtectedVm]) -> set[str]:
    out = set()
    for vm in vms:
        for manifest in vm.manifests:
            out.add(manifest.dr_region.lower())
    return out


def match(view: IncidentView, inventory: Inventory) -> Exposure:
    """Return the items at risk from the incident's newest view: active regions and services.

    A resolved region, a finished incident or a service that maps to nothing puts nothing at
    risk. Items are returned in id order, so the same inputs give the same plan.
    """
    risk = _risk(view)
    vms = tuple(
        sorted(
            (v for v in inventory.vms if _hit(risk[ItemKind.VM], v.region)),
            key=lambda v: v.vm_id.lower(),
        )
    )
    templates = tuple(
        sorted(
            (t for t in inventory.templates if _hit(risk[ItemKind.TEMPLATE], t.region)),
            key=lambda t: t.template_id.lower(),
        )
    )
    images = tuple(
        sorted(
            (i for i in inventory.images if _hit(risk[ItemKind.IMAGE], i.region)),
            key=lambda i: i.image_id.lower(),
        )
    )
    unmatched = tuple(s for s in view.services if not kinds_of_service(s))
    active = {r.lower() for r in view.active_regions}
    return Exposure(vms, templates, images, unmatched, tuple(sorted(active & _dr_regions(vms))))
