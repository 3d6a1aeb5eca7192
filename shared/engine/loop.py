"""The protect loop, generic over a protector: gather facts → assess → write → absorb → repeat."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from shared.engine.actions import WriteAction

# Quick writes (gallery, definition, same-region snapshot) unblock the next action at once;
# a few rounds per pass save a queue round trip each. Long copies end the pass.
MAX_ROUNDS = 8
# Rounds a failure's clean-up may still take (e.g. a staging version, then its definition).
CLEANUP_ROUNDS = 3


class Protection(Protocol):
    """What an assessment must tell the loop: the writes ready now, and a failure if any."""

    @property
    def ready(self) -> tuple[WriteAction, ...]:
        """The actions that can be issued now (after a failure: only clean-up deletions)."""
        ...

    @property
    def failure(self) -> str | None:
        """Why protection failed, or None."""
        ...


F = TypeVar("F")
P = TypeVar("P", bound=Protection)
P_co = TypeVar("P_co", bound=Protection, covariant=True)


class Protector(Protocol[F, P_co]):
    """One protected thing: how to read its world, assess it (pure) and fold in a write."""

    def gather(self) -> F:
        """Return the facts the assessment needs (reads only)."""
        ...

    def assess(self, facts: F, failure: str | None) -> P_co:
        """Return the protection as `facts` show it; `failure` keeps an earlier failure."""
        ...

    def absorb(self, facts: F, action: WriteAction, result: object) -> F | None:
        """Return `facts` after `action` finished with `result`; None when a re-read is needed."""
        ...


@dataclass(frozen=True)
class Pass(Generic[P]):
    """The protection as it stands after a pass, and the writes the pass issued (op, target)."""

    protection: P
    issued: tuple[tuple[str, str], ...] = ()


Execute = Callable[[WriteAction], object]


def run_pass(
    protector: Protector[F, P],
    execute: Execute,
    failure: str | None = None,
    dry_run: bool = False,
) -> Pass[P]:
    """Advance protection as far as it goes without waiting; return where it stands.

    Reads once, then folds each finished write's result into the facts (no re-read) and reads
    again only after a write whose outcome Azure still has to decide. Every action is an
    idempotent write with a deterministic target, so a pass interrupted anywhere is finished
    by the next one. Once the assessment fails (or with `failure` given) only clean-up runs.
    `dry_run` assesses without writing. Raises whatever `gather` and `execute` raise.
    """
    facts = protector.gather()
    protection = protector.assess(facts, failure)
    if dry_run:
        return Pass(protection)
    issued: list[tuple[str, str]] = []
    known: F | None = facts
    rounds = CLEANUP_ROUNDS if protection.failure else MAX_ROUNDS
    while rounds > 0 and protection.ready:
        rounds -= 1
        for action in protection.ready:
            result = execute(action)
            issued.append((action.op, action.target))
            known = protector.absorb(known, action, result) if known is not None else None
        known = known if known is not None else protector.gather()
        failed_before = protection.failure
        # A failure stays the outcome of the pass: its clean-up must not restart the copy.
        protection = protector.assess(known, failed_before)
        if protection.failure and not failed_before:
            rounds = max(rounds, CLEANUP_ROUNDS)
    return Pass(protection, tuple(issued))
