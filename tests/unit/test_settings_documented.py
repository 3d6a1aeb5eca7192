"""Every setting the code reads is documented in the README and the example local settings."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import AliasChoices

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _env_names() -> dict[str, tuple[str, ...]]:
    names: dict[str, tuple[str, ...]] = {}
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names[field] = tuple(str(choice) for choice in alias.choices)
        else:
            names[field] = (f"LIFEBOAT_{field.upper()}",)
    return names


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [names[0] for names in _env_names().values() if not any(n in readme for n in names)]
    assert missing == []


def test_every_setting_is_in_local_settings_example() -> None:
    values = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    missing = [names[0] for names in _env_names().values() if not any(n in values for n in names)]
    assert missing == []
