"""The subscriptions in scope: one check that an id given by a caller lies within them."""

from __future__ import annotations

from collections.abc import Iterable

from shared.arm_id import ResourceId
from shared.errors import InvalidInput


def in_scope(subscription: str, subscriptions: Iterable[str]) -> bool:
    """True when `subscription` is one of `subscriptions` (GUIDs compare caselessly)."""
    wanted = subscription.strip().lower()
    return any(wanted == s.strip().lower() for s in subscriptions)


def require_in_scope(rid: ResourceId, subscriptions: Iterable[str], field: str) -> ResourceId:
    """Return `rid` when its subscription is in scope; raise InvalidInput naming `field`."""
    if not in_scope(rid.subscription, subscriptions):
        raise InvalidInput(
            field, f"subscription {rid.subscription} is not in LIFEBOAT_SUBSCRIPTIONS"
        )
    return rid
