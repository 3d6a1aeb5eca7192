"""One protection pass over an artifact: read the world, plan, issue what is ready, repeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.config import Settings
from shared.images.absorb import absorb
from shared.images.executor import GONE, execute
from shared.images.facts import gather
from shared.images.model import Artifact, ArtifactPlan, Facts
from shared.images.planning import plan_artifact

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

# Quick writes (gallery, definition, same-region snapshot) unblock the next action at once;
# a few rounds per pass save a queue round trip each. Long copies end the pass.
MAX_ROUNDS = 8


@dataclass(frozen=True)
class Pass:
    """The plan as it stands after a pass, and the writes the pass issued (op, target)."""

    plan: ArtifactPlan
    issued: tuple[tuple[str, str], ...] = ()


def plan_only(
    clients: AzureClients, settings: Settings, artifact: Artifact, now: datetime
) -> ArtifactPlan:
    """Return the plan for `artifact` from a fresh read of Azure; writes nothing (dry run)."""
    return plan_artifact(artifact, gather(clients, settings, artifact), settings, now)


def protect_pass(
    clients: AzureClients, settings: Settings, artifact: Artifact, now: datetime
) -> Pass:
    """Advance protection of `artifact` as far as it goes without waiting; return where it is.

    Reads Azure once, then folds each finished write's result into the facts (no re-read) and
    reads again only after a write whose outcome Azure still has to decide. Every action is
    an idempotent write with a deterministic name, so a pass interrupted anywhere is finished
    by the next one. Settings.dry_run plans without writing. Raises azure.core errors and
    InvalidInput from the Azure modules.
    """
    issued: list[tuple[str, str]] = []
    facts: Facts | None = gather(clients, settings, artifact)
    assert facts is not None
    plan = plan_artifact(artifact, facts, settings, now)
    for _ in range(MAX_ROUNDS):
        if settings.dry_run or not plan.ready:
            break
        for action in plan.ready:
            result = execute(clients, settings, action)
            issued.append((action.op, action.target))
            facts = absorb(facts, action, result, GONE) if facts is not None else None
        if facts is None:
            facts = gather(clients, settings, artifact)
        plan = plan_artifact(artifact, facts, settings, now)
    return Pass(plan, tuple(issued))
