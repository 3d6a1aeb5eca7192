"""ARM resource ids parsed once into a value object."""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import InvalidInput
from shared.text import require_encodable


@dataclass(frozen=True)
class ResourceId:
    """A parsed ARM resource id.

    `types` and `names` are the resource type and name segments below the provider namespace,
    so `.../providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0` has
    `namespace="Microsoft.Compute"`, `types=("galleries", "images", "versions")`,
    `names=("g", "i", "1.0.0")`. A subscription or resource-group id has no namespace.
    """

    subscription: str
    resource_group: str | None = None
    namespace: str | None = None
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: object, field: str = "id") -> ResourceId:
        """Return the parsed id; raise InvalidInput naming `field` when it is not an ARM id
        (or not UTF-8 text)."""
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(field, "expected an ARM resource id string")
        require_encodable(value, field)
        parts = [p for p in value.strip().split("/") if p]
        if len(parts) < 2 or parts[0].lower() != "subscriptions":
            raise InvalidInput(field, f"not an ARM resource id: {value[:200]!r}")
        subscription, rest = parts[1], parts[2:]
        resource_group: str | None = None
        if rest and rest[0].lower() == "resourcegroups":
            if len(rest) < 2:
                raise InvalidInput(field, "resourceGroups segment has no name")
            resource_group, rest = rest[1], rest[2:]
        if not rest:
            return cls(subscription, resource_group)
        if rest[0].lower() != "providers" or len(rest) < 4 or len(rest[2:]) % 2:
            raise InvalidInput(field, f"malformed provider path in {value[:200]!r}")
        pairs = rest[2:]
        return cls(
            subscription,
            resource_group,
            rest[1],
            tuple(pairs[0::2]),
            tuple(pairs[1::2]),
        )

    @property
    def name(self) -> str:
        """The last name segment (the resource's own name), or the group / subscription name."""
        if self.names:
            return self.names[-1]
        return self.resource_group or self.subscription

    @property
    def full_type(self) -> str:
        """`Microsoft.Compute/galleries/images/versions` style type, or '' for a group."""
        if not self.namespace:
            return ""
        return "/".join((self.namespace, *self.types))

    def is_type(self, full_type: str) -> bool:
        """True when this id's full type equals `full_type`, compared case-insensitively."""
        return self.full_type.lower() == full_type.lower()

    def parent(self) -> ResourceId:
        """The id one level up (the parent resource, or the resource group)."""
        if len(self.types) > 1:
            return ResourceId(
                self.subscription,
                self.resource_group,
                self.namespace,
                self.types[:-1],
                self.names[:-1],
            )
        return ResourceId(self.subscription, self.resource_group)

    def child(self, type_: str, name: str) -> ResourceId:
        """The id of a child resource of this one."""
        if not self.namespace:
            raise ValueError("a child needs a provider resource as parent")
        return ResourceId(
            self.subscription,
            self.resource_group,
            self.namespace,
            (*self.types, type_),
            (*self.names, name),
        )

    def __str__(self) -> str:
        out = f"/subscriptions/{self.subscription}"
        if self.resource_group is not None:
            out += f"/resourceGroups/{self.resource_group}"
        if self.namespace:
            out += f"/providers/{self.namespace}"
            for t, n in zip(self.types, self.names, strict=True):
                out += f"/{t}/{n}"
        return out

    def key(self) -> str:
        """A case-insensitive identity for maps and idempotency keys (ARM ids ignore case)."""
        return str(self).lower()


def version_id_of(value: str, field: str = "artifact_id") -> ResourceId:
    """Return a gallery version id, accepting the `imageversions` spelling of one spec example.

    Raises InvalidInput(`field`) when `value` is not an ARM id.
    """
    rid = ResourceId.parse(value, field)
    types = tuple("versions" if t.lower() == "imageversions" else t for t in rid.types)
    return ResourceId(rid.subscription, rid.resource_group, rid.namespace, types, rid.names)
