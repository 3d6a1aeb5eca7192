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
# Rounds a failure's clean-up may still take (a staging version, then its definition).
CLEANUP_ROUNDS = 3


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
    clients: AzureClients,
    settings: Settings,
    artifact: Artifact,
    now: datetime,
    failure: str | None = None,
) -> Pass:
    """Advance protection of `artifact` as far as it goes without waiting; return where it is.

    Reads Azure once, then folds each finished write's result into the facts (no re-read) and
    reads again only after a write whose outcome Azure still has to decide. Every action is
    an idempotent write with a deterministic name, so a pass interrupted anywhere is finished
    by the next one. Once the plan fails (or with `failure` given: the job gave up), the pass
    only cleans up (see shared.images.cleanup).
    Settings.dry_run plans without writing. Raises azure.core errors and InvalidInput from the
    Azure modules, CopyLimitReached while Azure refuses a CopyStart for now.
    """
    facts = gather(clients, settings, artifact)
    plan = plan_artifact(artifact, facts, settings, now, failure)
    if settings.dry_run:
        return Pass(plan)
    return _issue(clients, settings, artifact, now, facts=facts, plan=plan)


def _issue(
    clients: AzureClients,
    settings: Settings,
    artifact: Artifact,
    now: datetime,
    *,
    facts: Facts,
    plan: ArtifactPlan,
) -> Pass:
    """Issue what is ready, fold the results into the facts, plan again; until nothing is."""
    issued: list[tuple[str, str]] = []
    known: Facts | None = facts
    rounds = CLEANUP_ROUNDS if plan.failure else MAX_ROUNDS
    while rounds > 0 and plan.ready:
        rounds -= 1
        for action in plan.ready:
            result = execute(clients, settings, action)
            issued.append((action.op, action.target))
            known = absorb(known, action, result, GONE) if known is not None else None
        known = known if known is not None else gather(clients, settings, artifact)
        failed_before = plan.failure
        # A failure stays the outcome of the pass: its clean-up must not restart the copy.
        plan = plan_artifact(artifact, known, settings, now, failed_before)
        if plan.failure and not failed_before:
            rounds = max(rounds, CLEANUP_ROUNDS)
    return Pass(plan, tuple(issued))
