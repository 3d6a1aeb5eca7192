"""The VM images API (Marketplace platform images) through the real SDK: list and get versions."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient

from emulator.providers.compute.vm_images import catalog
from emulator.server import ArmEmulator
from tests.plugins.arm import AUTH, SUBSCRIPTION
from tests.plugins.payloads import load_payload

BASE = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute"

# Real images whose SKU names do not say "gen2", yet are generation 2 (and two that are gen 1).
GENERATIONS = [
    ("Canonical", "ubuntu-24_04-lts", "server", "V2"),
    ("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition", "V2"),
    ("MicrosoftWindowsDesktop", "windows-11", "win11-23h2-ent", "V2"),
    ("Canonical", "ubuntu-24_04-lts", "server-gen1", "V1"),
    ("Canonical", "UbuntuServer", "18.04-LTS", "V1"),
]


@pytest.mark.parametrize(("publisher", "offer", "sku", "generation"), GENERATIONS)
def test_a_version_reports_its_hyperv_generation(
    compute: ComputeManagementClient, publisher: str, offer: str, sku: str, generation: str
) -> None:
    versions = compute.virtual_machine_images.list("westus", publisher, offer, sku)
    image = compute.virtual_machine_images.get("westus", publisher, offer, sku, versions[0].name)

    assert image.hyper_v_generation == generation
    assert image.name == versions[0].name and image.location == "westus"
    assert image.id.endswith(f"/Skus/{sku}/Versions/{image.name}")


def test_latest_is_the_first_of_the_versions_ordered_by_name_descending(
    compute: ComputeManagementClient,
) -> None:
    args = ("eastus", "Canonical", "ubuntu-24_04-lts", "server")
    every = [v.name for v in compute.virtual_machine_images.list(*args)]
    (latest,) = compute.virtual_machine_images.list(*args, orderby="name desc", top=1)

    assert every == sorted(every, key=lambda v: tuple(int(p) for p in v.split(".")))
    assert latest.name == every[-1] and len(every) > 1


def test_names_are_matched_without_case(compute: ComputeManagementClient) -> None:
    versions = compute.virtual_machine_images.list(
        "eastus", "canonical", "UBUNTU-24_04-LTS", "Server"
    )
    assert versions


@pytest.mark.parametrize(
    "path",
    [
        ("Canonical", "ubuntu-24_04-lts", "no-such-sku", None),
        ("Canonical", "ubuntu-24_04-lts", "server", "1.2.3"),
    ],
)
def test_an_unknown_sku_or_version_is_404(
    compute: ComputeManagementClient, path: tuple[str, str, str, str | None]
) -> None:
    publisher, offer, sku, version = path
    with pytest.raises(ResourceNotFoundError) as err:
        if version is None:
            compute.virtual_machine_images.list("eastus", publisher, offer, sku)
        else:
            compute.virtual_machine_images.get("eastus", publisher, offer, sku, version)
    assert "Artifact: VMImage was not found." in str(err.value)


def test_bodies_have_the_shape_of_the_published_examples(arm: ArmEmulator) -> None:
    get = load_payload("compute_VirtualMachineImage_Get_MaximumSet_Gen")["responses"]["200"]
    listed = load_payload("compute_VirtualMachineImage_List_MaximumSet_Gen")["responses"]["200"]
    offers = f"{BASE}/locations/eastus/publishers/Canonical/artifacttypes/vmimage/offers"
    sku = f"{offers}/ubuntu-24_04-lts/skus/server"

    versions = _raw(arm, f"{sku}/versions")
    one = _raw(arm, f"{sku}/versions/{versions[0]['name']}")

    assert isinstance(versions, list) and isinstance(listed["body"], list)
    assert set(versions[0]) <= set(listed["body"][0])
    assert set(one) <= set(get["body"])
    # architecture is in the 2024-07-01 model, though the example leaves it out.
    assert set(one["properties"]) <= {*get["body"]["properties"], "architecture"}
    assert all(i["hyperVGeneration"] in {"V1", "V2"} for i in catalog().values())


def _raw(arm: ArmEmulator, path: str) -> Any:
    response = requests.get(
        f"{arm.endpoint}{path}", params={"api-version": "2024-07-01"}, headers=AUTH,
        verify=arm.ca_file, timeout=10,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()
