"""Declaring job kinds and the results steps return."""

from __future__ import annotations

import pytest

from shared.errors import InvalidInput
from shared.jobs import Registry, StepContext, StepResult
from shared.jobs.registry import Outcome


def _done(ctx: StepContext) -> StepResult:
    return StepResult.done()


def test_a_registered_kind_is_found_with_its_ordered_steps() -> None:
    registry = Registry()
    registry.register("image_replication", [("find", _done), ("copy", _done)])

    kind = registry.get("image_replication")
    assert kind.step_names == ("find", "copy")
    assert kind.step("copy") is not None and kind.step("other") is None
    assert registry.names() == ("image_replication",)


def test_an_unknown_kind_is_invalid_input_naming_the_kind() -> None:
    with pytest.raises(InvalidInput) as err:
        Registry().get("nope")
    assert err.value.field == "kind"


@pytest.mark.parametrize(
    ("name", "steps"),
    [
        ("Image", [("a", _done)]),
        ("image-replication", [("a", _done)]),
        ("image", []),
        ("image", [("a", _done), ("a", _done)]),
        ("image", [("", _done)]),
    ],
)
def test_invalid_declarations_are_rejected(name: str, steps: list) -> None:
    with pytest.raises(InvalidInput):
        Registry().register(name, steps)


def test_registering_a_kind_again_replaces_it() -> None:
    registry = Registry()
    registry.register("demo", [("a", _done)])
    registry.register("demo", [("a", _done), ("b", _done)])
    assert registry.get("demo").step_names == ("a", "b")


def test_step_results_carry_outcome_delay_reason_and_data() -> None:
    assert StepResult.done({"x": 1}) == StepResult(Outcome.DONE, data={"x": 1})
    assert StepResult.wait(-5, "later").seconds == 0
    assert StepResult.wait(30, "later") == StepResult(Outcome.WAIT, 30.0, "later")
    assert StepResult.fail("gone").outcome == Outcome.FAIL
    assert StepResult.skip("nothing to do").outcome == Outcome.SKIP


def test_kinds_listed_in_kind_modules_load_on_first_lookup() -> None:
    from shared.features import JOB_KINDS, job_registry

    registry = job_registry()
    for kind in JOB_KINDS:
        assert registry.get(kind).step_names, kind


def test_an_unknown_kind_is_invalid_input_naming_kind() -> None:
    with pytest.raises(InvalidInput) as err:
        Registry().get("no_such_kind")
    assert err.value.field == "kind"
