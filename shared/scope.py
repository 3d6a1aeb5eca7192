"""The one scope check: an ARM id is acted on only inside the subscriptions in scope."""

from __future__ import annotations

from collections.abc import Collection

from shared.arm_id import ResourceId
from shared.errors import InvalidInput

SETTING = "LIFEBOAT_SUBSCRIPTIONS"


def in_scope(subscription: str, subscriptions: Collection[str]) -> bool:
    """True when `subscription` is one of `subscriptions` (compared caselessly).

    An empty scope holds nothing: an unset setting never widens to "whatever the identity can
    reach".
    """
    wanted = subscription.strip().lower()
    return any(wanted == s.lower() for s in subscriptions)


def require_in_scope(rid: ResourceId, subscriptions: Collection[str], field: str) -> ResourceId:
    """Return `rid` when its subscription is in scope; raise InvalidInput naming `field`."""
    if in_scope(rid.subscription, subscriptions):
        return rid
    raise InvalidInput(field, outside_scope(rid.subscription, subscriptions))


def outside_scope(subscription: str, subscriptions: Collection[str]) -> str:
    """The refusal message for `subscription`: names the setting, and says when it is empty."""
    setting = SETTING if subscriptions else f"{SETTING} is empty"
    return f"subscription {subscription} is outside the subscriptions in scope ({setting})"
