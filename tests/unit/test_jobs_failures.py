"""Classifying step exceptions (retry / wait / fail / crash) and the backoff schedule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.core.pipeline.transport import HttpRequest, RequestsTransportResponse

from shared.errors import ConfigurationError, InvalidInput, PreconditionNotMet, TransientError
from shared.jobs.failures import Verdict, backoff_seconds, classify, describe, retry_after_seconds

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _http_error(status: int, headers: dict[str, str] | None = None) -> HttpResponseError:
    raw = requests.Response()
    raw.status_code = status
    raw.reason = "reason"
    raw.headers.update(headers or {})
    raw._content = b'{"error": {"code": "Code", "message": "message"}}'
    response = RequestsTransportResponse(HttpRequest("GET", "https://management.azure.com/x"), raw)
    return HttpResponseError(response=response)


def test_transient_error_is_retried_with_its_retry_after() -> None:
    failure = classify(TransientError("throttled", retry_after=12.5), NOW)
    assert (failure.verdict, failure.delay, failure.message) == (
        Verdict.RETRY,
        12.5,
        "TransientError: throttled",
    )


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"Retry-After": "17"}, 17.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"x-ms-retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": "Tue, 01 Jan 2030 00:01:00 GMT"}, 60.0),
        ({}, None),
        ({"Retry-After": "soon"}, None),
    ],
)
def test_http_429_is_retried_honouring_the_retry_after_header(headers, delay) -> None:
    failure = classify(_http_error(429, headers), NOW)
    assert (failure.verdict, failure.delay) == (Verdict.RETRY, delay)


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_timeouts_and_server_errors_are_retried(status: int) -> None:
    assert classify(_http_error(status), NOW).verdict == Verdict.RETRY


@pytest.mark.parametrize("status", [400, 403, 404, 409])
def test_other_client_errors_fail_the_job_naming_the_status(status: int) -> None:
    failure = classify(_http_error(status), NOW)
    assert failure.verdict == Verdict.FAIL and failure.message.startswith(f"HTTP {status}: ")


@pytest.mark.parametrize(
    "exc", [ServiceRequestError("connection refused"), TimeoutError("read"), ConnectionResetError()]
)
def test_connection_errors_and_timeouts_are_retried(exc: Exception) -> None:
    assert classify(exc, NOW).verdict == Verdict.RETRY


def test_precondition_not_met_waits_for_the_time_it_names() -> None:
    failure = classify(PreconditionNotMet("build running", wait_seconds=90), NOW)
    assert (failure.verdict, failure.delay, failure.message) == (Verdict.WAIT, 90, "build running")


@pytest.mark.parametrize(
    "exc", [InvalidInput("source.id", "not an image"), ConfigurationError("LIFEBOAT_X", "unset")]
)
def test_invalid_input_and_configuration_errors_fail_the_job(exc: Exception) -> None:
    assert classify(exc, NOW).verdict == Verdict.FAIL


def test_anything_else_is_a_crash_for_the_host_to_redeliver() -> None:
    assert classify(KeyError("id"), NOW).verdict == Verdict.CRASH


def test_retry_after_ignores_missing_headers() -> None:
    assert retry_after_seconds(None, NOW) is None


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    delays = [backoff_seconds(n, base=5, cap=60, retry_after=None) for n in range(1, 7)]
    assert delays == [5, 10, 20, 40, 60, 60]


def test_backoff_uses_azures_retry_after_when_given() -> None:
    assert backoff_seconds(3, base=5, cap=60, retry_after=120) == 120
    assert backoff_seconds(3, base=5, cap=60, retry_after=0) == 0


def test_descriptions_are_one_bounded_line() -> None:
    text = describe(ValueError("line one\nline two " + "x" * 1000))
    assert "\n" not in text and len(text) == 500 and text.startswith("ValueError: line one line")
