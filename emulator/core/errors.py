"""ARM error bodies: one exception type that the server renders as {"error": {...}}."""

from __future__ import annotations

from typing import Any

from shared.arm_id import ResourceId
from shared.errors import InvalidInput


class ArmError(Exception):
    """An ARM error response: HTTP status plus the `error` object real ARM would send."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """Return the JSON body: {"error": {"code", "message", "target"?, "details"?}}."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def error_object(self) -> dict[str, Any]:
        """Return the inner error object (as embedded in a failed operation status)."""
        inner: dict[str, Any] = self.body()["error"]
        return inner


def not_found(resource_id: str) -> ArmError:
    """Return the gateway's 404 ResourceNotFound for `resource_id`, worded as Azure does."""
    try:
        rid = ResourceId.parse(resource_id)
        kind = "/".join([rid.namespace or "", *_interleave(rid.types, rid.names)])
        group = rid.resource_group or ""
    except InvalidInput:
        kind, group = resource_id, ""
    message = (
        f"The Resource '{kind}' under resource group '{group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )
    return ArmError(404, "ResourceNotFound", message, headers={"x-ms-failure-cause": "gateway"})


def _interleave(types: tuple[str, ...], names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for type_, name in zip(types, names, strict=True):
        out += [type_, name]
    return out


def conflict(code: str, message: str) -> ArmError:
    """Return a 409 with `code` (Conflict, OperationNotAllowed, ...)."""
    return ArmError(409, code, message)


def bad_request(code: str, message: str, target: str | None = None) -> ArmError:
    """Return a 400 with `code` (InvalidParameter, BadRequest, ...)."""
    return ArmError(400, code, message, target=target)


def invalid_parameter(message: str, target: str) -> ArmError:
    """Return Compute's 400 InvalidParameter naming the offending property."""
    return ArmError(400, "InvalidParameter", message, target=target)


def unauthenticated(header: str | None) -> ArmError | None:
    """Return ARM's 401 AuthenticationFailed for a missing or non-bearer Authorization header.

    Any bearer token is accepted (None): the emulator checks presence and form, not identity.
    """
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return None
    problem = "is missing" if not header else "is provided in an invalid format"
    return ArmError(
        401,
        "AuthenticationFailed",
        f"Authentication failed. The 'Authorization' header {problem}.",
        headers={
            "WWW-Authenticate": 'Bearer authorization_uri="https://login.windows.net/", '
            'error="invalid_token", error_description="The authentication failed because of '
            f"{'missing' if not header else 'invalid'} 'Authorization' header.\"",
        },
    )


def internal(message: str = "An internal error occurred.") -> ArmError:
    """Return a 500 InternalServerError (emulator bug or injected fault)."""
    return ArmError(500, "InternalServerError", message)


_SERVER_ERRORS = {
    500: (
        "InternalServerError",
        "Encountered internal server error. Diagnostic information: "
        "timestamp '', subscription id '', tracking id '', request correlation id ''.",
    ),
    502: ("BadGateway", "The gateway did not receive a valid response from the upstream server."),
    503: (
        "ServiceUnavailable",
        "The server (leader) is currently unable to receive requests. Please retry your request.",
    ),
    504: (
        "GatewayTimeout",
        "The gateway did not receive a response from 'Microsoft.Compute' "
        "within the specified time period.",
    ),
}


def server_error(status: int) -> ArmError:
    """Return an injected 5xx with ARM-style code and wording."""
    code, message = _SERVER_ERRORS.get(status, ("InternalServerError", "Internal error."))
    return ArmError(status, code, message)


def region_unavailable(region: str, namespace: str = "Microsoft.Compute") -> ArmError:
    """Return the error ARM answers for a resource whose region is down (see docs/emulator.md)."""
    return ArmError(
        503,
        "ServiceUnavailable",
        f"The resource provider '{namespace}' is currently unavailable in location "
        f"'{region}'. Please retry your request later.",
        headers={"x-ms-failure-cause": "gateway"},
    )
