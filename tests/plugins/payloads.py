"""Real Azure payloads (public samples copied into tests/fixtures), loaded by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load_payload(name: str) -> Any:
    """Return the parsed JSON of tests/fixtures/payloads/<name>.json."""
    return json.loads((FIXTURES / "payloads" / f"{name}.json").read_text())


def load_recording(name: str) -> Any:
    """Return the parsed JSON of tests/fixtures/recordings/<name>.json."""
    return json.loads((FIXTURES / "recordings" / f"{name}.json").read_text())


@pytest.fixture
def payload() -> Any:
    """`payload("alert-common-schema_...")` loads a sample by name."""
    return load_payload
