"""A PUT body checked against azure-mgmt-imagebuilder's model schema (fields, types, required).

`models.ImageTemplate(body)` accepts any mapping without validating it (SDK 2.0.0 models are
lazy dict wrappers), so "the SDK model accepts the body" proves nothing. `sdk_body_errors`
walks the body against the models' declared rest fields and type annotations instead: unknown
or read-only fields, missing required fields, wrong JSON types and unknown discriminators are
all errors. The tests below show each kind of error is caught, so the check can fail.
"""

from __future__ import annotations

import copy
import sys
import types
import typing
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from azure.mgmt.imagebuilder import models
from azure.mgmt.imagebuilder._utils.model_base import Model, _RestField

_NAMESPACE = {**vars(sys.modules[models.ImageTemplate.__module__]), "_models": models}
_UNIONS = (Union, types.UnionType)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, globalns=_NAMESPACE)


@cache
def _fields(cls: type) -> dict[str, tuple[str, _RestField]]:
    """{rest name: (attribute, field)} over the class and its bases."""
    found: dict[str, tuple[str, _RestField]] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, _RestField):
                found[value._rest_name_input or attr] = (attr, value)
    return found


def _optional(tp: Any) -> bool:
    return get_origin(tp) in _UNIONS and type(None) in get_args(tp)


def _resolve(cls: type, value: dict[str, Any], path: str, errors: list[str]) -> type | None:
    """The concrete model of a polymorphic value (by its discriminator), or None when unknown."""
    mapping = getattr(cls, "__mapping__", None)
    discriminators = [r for r, (_, f) in _fields(cls).items() if f._is_discriminator]
    if not mapping or not discriminators:
        return cls
    kind = value.get(discriminators[0])
    if kind not in mapping:
        errors.append(f"{path}.{discriminators[0]}: unknown {cls.__name__} kind {kind!r}")
        return None
    concrete: type = mapping[kind]
    return concrete


def _check_model(value: Any, cls: type, path: str, errors: list[str]) -> None:
    if not isinstance(value, dict):
        errors.append(f"{path}: expected an object for {cls.__name__}")
        return
    concrete = _resolve(cls, value, path, errors)
    if concrete is None:
        return
    fields, hints = _fields(concrete), _hints(concrete)
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{path}.{key}: not a field of {concrete.__name__}")
        elif "create" not in (fields[key][1]._visibility or []):
            errors.append(f"{path}.{key}: read-only in {concrete.__name__}")
        else:
            _check(item, hints[fields[key][0]], f"{path}.{key}", errors)
    for rest, (attr, field) in fields.items():
        writable = "create" in (field._visibility or [])
        if writable and not _optional(hints[attr]) and rest not in value:
            errors.append(f"{path}.{rest}: required by {concrete.__name__}")


_SCALARS: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
}


def _check_scalar(value: Any, tp: Any, path: str, errors: list[str]) -> None:
    if tp not in _SCALARS:
        errors.append(f"{path}: the check does not know type {tp!r}; extend it")
    elif not isinstance(value, _SCALARS[tp]) or (tp is not bool and isinstance(value, bool)):
        errors.append(f"{path}: expected {tp.__name__}, got {type(value).__name__}")


def _check(value: Any, tp: Any, path: str, errors: list[str]) -> None:
    origin, args = get_origin(tp), get_args(tp)
    if origin in _UNIONS:
        if value is None and type(None) in args:
            return
        # Union[str, SomeEnum]: ARM takes the enum's string; otherwise Optional[X] is X.
        choices = [a for a in args if a is not type(None)]
        _check(value, str if str in choices else choices[0], path, errors)
    elif origin is Literal:
        if value not in args:
            errors.append(f"{path}: expected one of {list(args)}, got {value!r}")
    elif origin is list:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list")
            return
        for i, item in enumerate(value):
            _check(item, args[0], f"{path}[{i}]", errors)
    elif origin is dict:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object")
            return
        for key, item in value.items():
            _check(item, args[1], f"{path}[{key!r}]", errors)
    elif isinstance(tp, type) and issubclass(tp, Model):
        _check_model(value, tp, path, errors)
    else:
        _check_scalar(value, tp, path, errors)


def sdk_body_errors(body: dict[str, Any]) -> list[str]:
    """Return what is wrong with `body` as an ImageTemplate PUT body ([] when it fits)."""
    errors: list[str] = []
    _check_model(body, models.ImageTemplate, "template", errors)
    return errors


def _valid() -> dict[str, Any]:
    return {
        "location": "westus",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {"/id/aib": {}}},
        "properties": {
            "source": {"type": "PlatformImage", "publisher": "p", "offer": "o", "sku": "s"},
            "customize": [{"type": "Shell", "name": "x", "inline": ["echo"]}],
            "distribute": [
                {
                    "type": "ManagedImage",
                    "imageId": "/subscriptions/s/resourceGroups/g/providers/"
                    "Microsoft.Compute/images/i",
                    "location": "westus",
                    "runOutputName": "out",
                }
            ],
            "buildTimeoutInMinutes": 80,
        },
    }


def test_a_complete_body_has_no_errors() -> None:
    assert sdk_body_errors(_valid()) == []


def _broken(change: Any) -> list[str]:
    body = copy.deepcopy(_valid())
    change(body)
    return sdk_body_errors(body)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: b.update(apiVersion="2024-02-01"), "template.apiVersion: not a field"),
        (lambda b: b.update(id="/x"), "template.id: read-only"),
        (lambda b: b.pop("location"), "template.location: required"),
        (
            lambda b: b["properties"]["distribute"][0].pop("runOutputName"),
            "template.properties.distribute[0].runOutputName: required",
        ),
        (
            lambda b: b["properties"]["distribute"][0].update(galleryImageId="/g"),
            "distribute[0].galleryImageId: not a field of ImageTemplateManagedImageDistributor",
        ),
        (
            lambda b: b["properties"].update(buildTimeoutInMinutes="80"),
            "buildTimeoutInMinutes: expected int, got str",
        ),
        (
            lambda b: b["properties"]["source"].update(type="Platform"),
            "source.type: unknown ImageTemplateSource kind 'Platform'",
        ),
        (
            lambda b: b["identity"]["userAssignedIdentities"]["/id/aib"].update(principalId="p"),
            "principalId: read-only",
        ),
        (lambda b: b.update(tags={"a": 1}), "template.tags['a']: expected str, got int"),
    ],
)
def test_each_kind_of_mistake_is_reported(change: Any, expected: str) -> None:
    assert any(expected in error for error in _broken(change)), _broken(change)
