"""Matching an incident's regions and services against protected VMs, templates and images."""

from __future__ import annotations

from datetime import timedelta

from shared.outages.inventory import DrImageRecord, Inventory, TemplateBackup
from shared.outages.ledger import record
from shared.outages.matching import ItemKind, kinds_of_service, match
from tests.unit.outage_builders import RG, T0, note, vm

TEMPLATE = f"{RG}/aib/providers/Microsoft.VirtualMachineImages/imageTemplates/web"
IMAGE = f"{RG}/img/providers/Microsoft.Compute/galleries/g/images/web"


def everything() -> Inventory:
    return Inventory(
        vms=(vm("web1"), vm("app1", location="westeurope")),
        templates=(TemplateBackup(TEMPLATE, "eastus", "v3", T0, {}),),
        images=(DrImageRecord(IMAGE, "eastus", f"{IMAGE}-dr/versions/1.0.0", T0, {}),),
    )


def view(**kw):
    return record(None, note(**kw), T0).entry.latest


def test_a_virtual_machines_outage_puts_only_vms_of_that_region_at_risk():
    exposure = match(view(), everything())
    assert [v.vm_id.rsplit("/", 1)[-1] for v in exposure.vms] == ["web1"]
    assert exposure.templates == () and exposure.images == ()


def test_image_builder_and_gallery_outages_put_templates_and_images_at_risk():
    assert match(view(service="Azure Image Builder"), everything()).templates
    assert match(view(service="Azure Compute Gallery"), everything()).images
    storage = match(view(service="Storage"), everything())
    assert storage.vms and storage.images and not storage.templates


def test_a_global_impact_reaches_every_region():
    exposure = match(view(regions=("global",)), everything())
    assert len(exposure.vms) == 2


def test_resolved_regions_and_finished_incidents_put_nothing_at_risk():
    assert match(view(resolved=("eastus",)), everything()).empty
    entry = record(None, note(), T0).entry
    done = record(entry, note("c2", stage="Resolved", at=T0 + timedelta(hours=1)), T0).entry
    assert match(done.latest, everything()).empty


def test_unknown_services_are_reported_not_matched():
    exposure = match(view(service="Service Fabric"), everything())
    assert exposure.empty
    assert exposure.services_unmatched == ("Service Fabric",)
    assert kinds_of_service("virtual machines") == {ItemKind.VM}


def test_an_impacted_dr_region_is_reported():
    exposure = match(view(regions=("eastus", "westus")), everything())
    assert exposure.dr_regions_impacted == ("westus",)
