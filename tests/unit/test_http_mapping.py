"""The one HTTP error mapping: Lifeboat errors and azure-core failures to status codes."""

from __future__ import annotations

import json
from collections.abc import Callable

import azure.functions as func
import pytest
from azure.core.exceptions import (
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
)

from functions.http import answer
from shared.errors import ConfigurationError, InvalidInput, TransientError
from tests.unit.test_jobs_failures import _http_error


def _raising(exc: BaseException) -> Callable[[], func.HttpResponse]:
    def call() -> func.HttpResponse:
        raise exc

    return call


@pytest.mark.parametrize(
    "exc",
    [
        _http_error(429),
        _http_error(500),
        _http_error(503),
        _http_error(408),
        ServiceRequestError("connection refused"),
        ServiceResponseError("connection reset"),
        ServiceRequestTimeoutError("timed out"),
        TimeoutError("timed out"),
        TransientError("job storage: throttled"),
    ],
    ids=str,
)
def test_transient_failures_answer_503_with_retry_after(exc: BaseException) -> None:
    response = answer("route", _raising(exc))
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert json.loads(response.get_body())["error"]


def test_azure_retry_after_is_passed_on() -> None:
    response = answer("route", _raising(_http_error(429, {"Retry-After": "42"})))
    assert (response.status_code, response.headers["Retry-After"]) == (503, "42")


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (InvalidInput("templateId", "bad"), 400),
        (ConfigurationError("LIFEBOAT_X", "missing"), 500),
        (_http_error(403), 500),
    ],
)
def test_permanent_failures_keep_their_status(exc: BaseException, status: int) -> None:
    assert answer("route", _raising(exc)).status_code == status


def test_a_denied_azure_call_names_the_role_assignments() -> None:
    body = json.loads(answer("route", _raising(_http_error(403))).get_body())
    assert "role assignments" in body["error"]


def test_other_azure_answers_and_bugs_propagate_to_the_host() -> None:
    with pytest.raises(ResourceNotFoundError):
        answer("route", _raising(ResourceNotFoundError("gone")))
    with pytest.raises(KeyError):
        answer("route", _raising(KeyError("bug")))
