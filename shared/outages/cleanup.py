"""Deletion of what a drill (or a failback) created: dependency order, idempotent, what is left."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from shared.outages.execution import IntentKind, item_phases
from shared.outages.plan_model import DrPlan


class CreatedKind(StrEnum):
    """Kinds of resource recovery creates, in deletion order."""

    VM = "vm"
    NIC = "nic"
    DISK = "disk"
    NETWORK = "network"
    """The drill's virtual network, when the drill created it (never a configured one)."""


_ORDER = (CreatedKind.VM, CreatedKind.NIC, CreatedKind.DISK, CreatedKind.NETWORK)
_FROM_INTENT = {IntentKind.VM: CreatedKind.VM, IntentKind.NIC: CreatedKind.NIC}
_FROM_INTENT[IntentKind.DISK] = CreatedKind.DISK


@dataclass(frozen=True)
class CreatedResource:
    """One resource recovery created; `owner` is the VM it was attached to, if any."""

    kind: CreatedKind
    resource_id: str
    owner: str | None = None

    @property
    def key(self) -> str:
        """The case-folded resource id."""
        return self.resource_id.lower()


def created_by(
    plan: DrPlan, done: Iterable[str], network_id: str | None = None
) -> tuple[CreatedResource, ...]:
    """Return the disks, NICs and VMs of `plan` that `done` says were created, plus the network.

    `network_id` is the drill network the drill created itself (None when it used a
    configured one, which is never deleted).
    """
    done_set = {d.lower() for d in done}
    out: list[CreatedResource] = []
    for item in plan.items:
        if item.vm is None:
            continue
        owner = item.vm.vm.resource_id
        for phase in item_phases(item, plan.dr_region):
            for w in phase:
                kind = _FROM_INTENT.get(w.kind)
                if kind is not None and w.key in done_set:
                    out.append(
                        CreatedResource(
                            kind, w.resource_id, None if kind is CreatedKind.VM else owner
                        )
                    )
    if network_id is not None:
        out.append(CreatedResource(CreatedKind.NETWORK, network_id))
    return tuple(out)


@dataclass(frozen=True)
class CleanupProgress:
    """The deletions to issue now, what is left (id → why), and whether cleanup is complete."""

    deletions: tuple[CreatedResource, ...]
    left: Mapping[str, str]
    complete: bool
    """True when every created resource is gone."""

    @property
    def settled(self) -> bool:
        """True when nothing more can be deleted: complete, or stuck with `left` reported."""
        return not self.deletions


def _blocker(
    r: CreatedResource, remaining: list[CreatedResource], failed: Mapping[str, str]
) -> tuple[bool, str | None]:
    """(waits, why left): a NIC or disk waits for its VM; the network for every NIC."""
    if r.kind is CreatedKind.NETWORK:
        nics = [n for n in remaining if n.kind is CreatedKind.NIC]
        stuck = [n for n in nics if n.key in failed]
        return bool(nics), (f"NIC {stuck[0].resource_id} could not be deleted" if stuck else None)
    if r.owner is None:
        return False, None
    owner = r.owner.lower()
    if any(o.key == owner for o in remaining):
        why = f"its VM {r.owner} could not be deleted" if owner in failed else None
        return True, why
    return False, None


def next_deletions(
    created: Iterable[CreatedResource], gone: Iterable[str], failed: Mapping[str, str]
) -> CleanupProgress:
    """Return the next wave of deletions: VMs, then their NICs and disks, then the network.

    `gone` are ids already deleted (or never there: deleting them again is success); `failed`
    maps ids whose deletion failed for good to why. A resource whose dependency is stuck is
    left too, naming that dependency.
    """
    gone_set = {g.lower() for g in gone}
    failed_ci = {k.lower(): v for k, v in failed.items()}
    remaining = [r for r in created if r.key not in gone_set]
    left: dict[str, str] = {}
    for wave in _ORDER:
        batch = []
        for r in (x for x in remaining if x.kind is wave):
            if r.key in failed_ci:
                left[r.resource_id] = failed_ci[r.key]
                continue
            stuck = failed_ci | {k.lower(): v for k, v in left.items()}
            waits, why = _blocker(r, remaining, stuck)
            if why is not None:
                left[r.resource_id] = why
            elif not waits:
                batch.append(r)
        if batch:
            return CleanupProgress(tuple(batch), left, complete=False)
    return CleanupProgress((), left, complete=not remaining)
