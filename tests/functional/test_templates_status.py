"""Template readiness findings (for /api/status) against the ARM emulator and Azurite."""

from __future__ import annotations

import pytest

from shared.templates.service import backup_template
from shared.templates.status import template_readiness
from tests.plugins.arm import LifeboatEnv
from tests.support.templates import (
    PRIMARY,
    create_template,
    damage_pointer,
    deps,
    dr_blobs,
    gallery_template,
    resource,
    seed_gallery,
    template_body,
    template_id,
    update_tags,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

UBUNTU_18 = ("Canonical", "UbuntuServer")


@pytest.fixture
def env(lifeboat_env: LifeboatEnv) -> LifeboatEnv:
    return lifeboat_env


def codes() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for finding in template_readiness(deps()):
        out.setdefault(finding.template_id.rsplit("/", 1)[1], []).append(finding.code)
    return out


def test_a_backed_up_gen2_template_is_ready(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup_template(tid, deps())

    assert codes() == {}


def test_a_generation_one_platform_image_is_reported(env: LifeboatEnv) -> None:
    tid = template_id("old")
    create_template(tid, template_body(sku="18.04-LTS", image=UBUNTU_18))
    backup_template(tid, deps())

    [finding] = template_readiness(deps())

    assert finding.code == "hyperv_gen1" and finding.template_id.endswith("/old")
    assert "generation 2" in finding.recommendation


def test_a_gallery_definition_of_generation_one_is_reported(env: LifeboatEnv) -> None:
    version = seed_gallery(env.arm, dr_copy=True, generation="V1")
    tid = template_id("sig")
    create_template(tid, gallery_template(version))
    backup_template(tid, deps())

    assert codes() == {"sig": ["hyperv_gen1"]}


@pytest.mark.parametrize(
    ("publisher", "offer", "sku"),
    [
        ("Canonical", "ubuntu-24_04-lts", "server"),
        ("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition"),
        ("MicrosoftWindowsDesktop", "windows-11", "win11-23h2-ent"),
    ],
)
def test_gen2_platform_images_whose_names_do_not_say_so_are_not_reported(
    env: LifeboatEnv, publisher: str, offer: str, sku: str
) -> None:
    tid = template_id("new")
    create_template(tid, template_body(sku=sku, image=(publisher, offer)))
    backup_template(tid, deps())

    assert codes() == {}
    reads = env.arm.log.find("GET", "/artifacttypes/vmimage/offers/")
    assert reads, "the generation is read from the VM images API, not guessed from the SKU"


def test_a_gen1_sku_named_like_a_gen2_one_is_reported(env: LifeboatEnv) -> None:
    tid = template_id("old")
    body = template_body(sku="server-gen1", image=("Canonical", "ubuntu-24_04-lts"))
    create_template(tid, body)
    backup_template(tid, deps())

    assert codes() == {"old": ["hyperv_gen1"]}


def test_a_platform_image_azure_does_not_know_is_reported_as_unknown_generation(
    env: LifeboatEnv,
) -> None:
    tid = template_id("odd")
    create_template(tid, template_body(sku="22_04-lts-gen2", image=("Contoso", "no-such-offer")))
    backup_template(tid, deps())

    [finding] = template_readiness(deps())

    assert finding.code == "hyperv_unknown"
    assert "unknown" in finding.message and "22_04-lts-gen2" in finding.message


def test_missing_and_stale_backups_are_reported(env: LifeboatEnv) -> None:
    never, changed = template_id("never"), template_id("changed")
    create_template(never)
    create_template(changed)
    backup_template(changed, deps())
    update_tags(changed, {"rev": "2"})

    assert codes() == {"never": ["backup_missing"], "changed": ["backup_stale"]}


def test_a_source_not_in_the_dr_region_is_reported_unless_the_dr_gallery_has_it(
    env: LifeboatEnv,
) -> None:
    version = seed_gallery(env.arm, dr_copy=False)
    tid = template_id("sig")
    create_template(tid, gallery_template(version))
    backup_template(tid, deps())

    assert codes() == {"sig": ["source_not_in_dr_region"]}


def test_a_template_in_a_region_that_is_down_is_reported_unreadable(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup_template(tid, deps())
    env.arm.faults.region_down(PRIMARY)
    env.arm.faults.fast_retries()

    assert codes() == {"web": ["template_unreadable"]}


def test_a_managed_image_source_is_judged_by_its_own_generation_and_region(
    env: LifeboatEnv,
) -> None:
    image = resource("img", "Microsoft.Compute/images/golden")
    env.arm.seed(
        {
            "resources": [
                {
                    "id": image,
                    "location": PRIMARY,
                    "properties": {"hyperVGeneration": "V1", "storageProfile": {"osDisk": {}}},
                }
            ]
        }
    )
    body = template_body()
    body["properties"]["source"] = {"type": "ManagedImage", "imageId": image}
    tid = template_id("mi")
    create_template(tid, body)
    backup_template(tid, deps())

    assert codes() == {"mi": ["hyperv_gen1", "source_not_in_dr_region"]}


def test_a_damaged_backup_pointer_is_a_finding_and_other_templates_still_report(
    env: LifeboatEnv,
) -> None:
    good, bad = template_id("good"), template_id("bad")
    create_template(good, template_body(sku="18.04-LTS", image=UBUNTU_18))
    create_template(bad)
    backup_template(good, deps())
    backup_template(bad, deps())
    damage_pointer({n: b for n, b in dr_blobs().items() if "/bad/" in n})

    found = {f.template_id.rsplit("/", 1)[1]: f for f in template_readiness(deps())}

    assert {name: f.code for name, f in found.items()} == {
        "good": "hyperv_gen1",
        "bad": "backup_damaged",
    }
    assert "latest.json" in found["bad"].message


def test_no_subscriptions_in_scope_is_a_finding_not_an_all_clear(env: LifeboatEnv) -> None:
    create_template(template_id())

    [finding] = template_readiness(deps(subscriptions=()))

    assert (finding.code, finding.template_id) == ("no_subscriptions", "")
    assert "LIFEBOAT_SUBSCRIPTIONS" in finding.message + finding.recommendation
