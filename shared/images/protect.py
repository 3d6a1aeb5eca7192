"""Image DR as one protector of the engine: an artifact's facts, assessment and absorption."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from shared.config import Settings
from shared.engine.actions import WriteAction
from shared.engine.established import Established, Settled
from shared.engine.executor import GONE, execute
from shared.engine.loop import Pass, run_pass
from shared.images.absorb import absorb
from shared.images.facts import gather
from shared.images.model import Artifact, ArtifactProtection, Facts
from shared.images.protection import protection_for

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients


@dataclass(frozen=True)
class ArtifactProtector:
    """The engine's view of one artifact: read its world, assess it, fold a write's result in."""

    clients: AzureClients
    settings: Settings
    artifact: Artifact
    now: datetime
    known: Established = field(default_factory=Established)

    def gather(self) -> Facts:
        """Return the artifact's facts (reads only; settled ones from `known`)."""
        return gather(self.clients, self.settings, self.artifact, self.known)

    def assess(self, facts: Facts, failure: str | None) -> ArtifactProtection:
        """Return the artifact's protection as `facts` show it (pure)."""
        return protection_for(self.artifact, facts, self.settings, self.now, failure)

    def absorb(self, facts: Facts, action: WriteAction, result: object) -> Facts | None:
        """Return `facts` after `action`, or None when Azure must be read again."""
        return absorb(facts, action, result, GONE)

    def execute(self, action: WriteAction) -> object:
        """Issue one write through the engine's executor; keep what it settled in `known`."""
        # Quick creates are not polled to completion: the next pass reads what they became.
        result = execute(self.clients, self.settings, action, wait=False)
        if result is GONE:
            self.known.gone(action.target)
        elif isinstance(result, Settled):
            self.known.remember(action.target, result)
        else:  # started, not finished (a copy, a replication): the next read tells
            self.known.forget(action.target)
        return result


def dry_run_protection(
    clients: AzureClients, settings: Settings, artifact: Artifact, now: datetime
) -> ArtifactProtection:
    """Return the protection of `artifact` from a fresh read of Azure; writes nothing."""
    protector = ArtifactProtector(clients, settings, artifact, now)
    return protector.assess(protector.gather(), None)


def protect_pass(
    clients: AzureClients,
    settings: Settings,
    artifact: Artifact,
    now: datetime,
    failure: str | None = None,
    *,
    known: Established | None = None,
) -> Pass[ArtifactProtection]:
    """Advance protection of `artifact` as far as it goes without waiting; return where it is.

    Once the assessment fails (or with `failure` given: the job gave up), the pass only cleans
    up (see shared.images.cleanup). Settings.dry_run assesses without writing. Raises
    azure.core errors and InvalidInput from the Azure modules, CopyLimitReached while Azure
    refuses a CopyStart for now. `known` carries settled facts between passes (job data).
    """
    protector = ArtifactProtector(clients, settings, artifact, now, known or Established())
    return run_pass(protector, protector.execute, failure, settings.dry_run)
