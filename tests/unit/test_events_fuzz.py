"""Fuzzing the parsers with mutated real payloads: they accept, or raise InvalidInput, only."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.events import parse_alert, parse_resource_events
from tests.event_samples import CLOUD_EVENT_SAMPLES, EVENT_GRID_SAMPLES, alert_samples, load

# Deterministic and bounded so the suite stays fast and every run sees the same inputs.
FUZZ = settings(
    derandomize=True,
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Path = tuple[str | int, ...]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", " ", "Global", "East US", "[", "[{}]", "null", "2019-13-45T99:00:00Z"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(doc: Any, prefix: Path = ()) -> Iterator[Path]:
    if prefix:
        yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, (*prefix, index))


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"a": [value]}
    return value


def _replace(doc: Any, where: Path, make: Callable[[Any], Any]) -> None:
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = make(parent[where[-1]])


def _drop(doc: Any, where: Path) -> None:
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    del parent[where[-1]]


@st.composite
def mutated(draw: st.DrawFn, originals: list[Any]) -> Any:
    """A real payload with 1-3 mutations: key dropped, value nulled, retyped or replaced."""
    doc = copy.deepcopy(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(_paths(doc))
        if not paths:
            break
        where = draw(st.sampled_from(paths))
        operation = draw(
            st.sampled_from(["drop", "null", "number", "string", "json", "deep", "as-list"])
        )
        if operation == "drop":
            _drop(doc, where)
            continue
        replacement = {
            "null": lambda _: None,
            "number": lambda _: draw(st.integers(-5, 5) | st.floats(allow_nan=True)),
            "string": lambda old: (
                str(old) if not isinstance(old, str) else draw(st.text(max_size=6))
            ),
            "json": lambda _: draw(json_values),
            "deep": lambda _: _deep(draw(st.integers(min_value=50, max_value=400))),
            "as-list": lambda old: [old],
        }[operation]
        _replace(doc, where, replacement)
    return doc


ALERTS = list(alert_samples().values())
EVENTS = [load(n) for n in EVENT_GRID_SAMPLES + CLOUD_EVENT_SAMPLES] + [
    load("eventgrid_SubscriptionValidationEvent")
]


def _only_invalid_input(parse: Callable[[Any], Any], body: Any) -> None:
    try:
        parse(body)
    except InvalidInput as exc:
        assert exc.field, "InvalidInput must name a field"
        assert len(str(exc)) < 400, "error messages stay short (no payload echo)"


@FUZZ
@given(mutated(ALERTS))
def test_mutated_alert_is_parsed_or_rejected_with_invalid_input(body: Any) -> None:
    _only_invalid_input(parse_alert, body)


@FUZZ
@given(mutated(EVENTS))
def test_mutated_event_grid_delivery_is_parsed_or_rejected_with_invalid_input(body: Any) -> None:
    _only_invalid_input(parse_resource_events, body)


@FUZZ
@given(json_values)
def test_random_json_is_never_more_than_invalid_input(body: Any) -> None:
    _only_invalid_input(parse_alert, body)
    _only_invalid_input(parse_resource_events, body)


@pytest.mark.parametrize("depth", [500, 5000])
def test_deeply_nested_escaped_impacted_services_is_invalid_input(depth: int) -> None:
    body = copy.deepcopy(ALERTS[0])
    body["data"]["alertContext"]["properties"]["impactedServices"] = "[" * depth + "]" * depth

    with pytest.raises(InvalidInput) as info:
        parse_alert(body)

    # Shallow enough to decode: the first item is no object; deeper: the string is refused.
    assert info.value.field.startswith("data.alertContext.properties.impactedServices")


def test_mutation_strategy_really_changes_payloads() -> None:
    seen: list[bool] = []

    @FUZZ
    @given(mutated(ALERTS[:1]))
    def probe(body: Any) -> None:
        seen.append(body != ALERTS[0])

    probe()

    assert sum(seen) > len(seen) * 0.8
