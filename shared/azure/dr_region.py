"""Reads of the DR region preflight needs: the VM sizes Resource SKUs lists there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.azure import resource_graph

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = ("Microsoft.Compute/skus/read", *resource_graph.ACTIONS)


def list_vm_skus(clients: AzureClients, subscription: str, region: str) -> list[dict[str, Any]]:
    """Return the `virtualMachines` Resource SKUs of `region` as REST JSON (camelCase)."""
    out = []
    compute = clients.compute(subscription)
    for sku in compute.resource_skus.list(filter=f"location eq '{region}'"):
        if str(sku.resource_type or "").lower() == "virtualmachines":
            raw: dict[str, Any] = sku.serialize(keep_readonly=True)  # type: ignore[attr-defined]
            out.append(raw)
    return out
