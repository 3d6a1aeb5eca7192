"""The tagged VMs in scope: Resource Graph discovery, primary regions only, tags → policies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from shared.config import Settings
from shared.vms.findings import Finding
from shared.vms.policy import PolicyDefaults, PolicyResult, ProtectionPolicy, TagNames, read_policy

if TYPE_CHECKING:
    from collections.abc import Mapping

    from shared.azure.clients import AzureClients
    from shared.azure.vms import TaggedVm


def tag_names(settings: Settings) -> TagNames:
    """Return the tag names the settings choose."""
    return TagNames(
        protect=settings.protect_tag,
        mode=settings.mode_tag,
        schedule=settings.schedule_tag,
        group=settings.group_tag,
        tier=settings.tier_tag,
    )


def policy_defaults(settings: Settings) -> PolicyDefaults:
    """Return the policy defaults the settings choose."""
    return PolicyDefaults(
        schedule=settings.vms_default_schedule,
        keep_primary=settings.vms_keep_primary,
        keep_dr=settings.vms_keep_dr,
        restore_point_copy_enabled=settings.vms_restore_point_copy,
    )


def policy_for(settings: Settings, vm_id: str, tags: Mapping[str, str]) -> PolicyResult:
    """Return the VM's policy (or findings) under the configured tag names and defaults."""
    return read_policy(vm_id, tags, tag_names(settings), policy_defaults(settings))


@dataclass(frozen=True)
class Inventory:
    """Every opted-in VM: the protected ones with their policy, the others with findings."""

    protected: tuple[tuple[TaggedVm, ProtectionPolicy], ...]
    refused: tuple[tuple[TaggedVm, tuple[Finding, ...]], ...]


def discover(clients: AzureClients, settings: Settings) -> Inventory:
    """Return the opted-in VMs of the subscriptions in scope, in the primary regions."""
    from shared.azure.vms import list_vms

    protected = []
    refused = []
    vms = list_vms(clients, settings.subscriptions, settings.primary_regions)
    for vm in vms:
        result = policy_for(settings, vm.vm_id, vm.tags)
        if result.policy is not None:
            protected.append((vm, result.policy))
        elif result.findings:
            refused.append((vm, result.findings))
    return Inventory(tuple(protected), tuple(refused))


def rpo_of(policy: ProtectionPolicy) -> timedelta:
    """The RPO a VM's schedule promises: its shortest gap between two captures."""
    return policy.schedule.shortest_gap()
