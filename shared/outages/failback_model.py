"""The failback part of a stored plan document: VMs to protect back, DR resources to clean up."""

from __future__ import annotations

from typing import Literal

from pydantic.dataclasses import dataclass as model

from shared.outages.documents import DOCUMENT_CONFIG


@model(frozen=True, config=DOCUMENT_CONFIG)
class FailbackVm:
    """One recovered VM protected back: its DR VM, copied from the DR region to its primary."""

    source_vm_id: str
    """The VM that was lost in the primary region."""
    dr_vm_id: str
    """The VM recovery created in the DR region, the one protected back."""
    from_region: str
    to_region: str


@model(frozen=True, config=DOCUMENT_CONFIG)
class FailbackResource:
    """One DR-side resource recovery created, deleted by the cleanup (`owner`: its VM)."""

    kind: Literal["vm", "nic", "disk", "network"]
    resource_id: str
    owner: str | None = None


@model(frozen=True, config=DOCUMENT_CONFIG)
class FailbackDetail:
    """What a failback plan does: protect `reprotect` back, then (approved) delete `cleanup`."""

    source_plan_id: str
    source_revision: int
    resource_group: str
    """The resource group (in each VM's subscription, primary region) the copies go to."""
    reprotect: tuple[FailbackVm, ...]
    cleanup: tuple[FailbackResource, ...]
