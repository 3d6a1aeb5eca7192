"""Test-session wiring: local Azure stand-ins and payload loading live in tests/plugins."""

from hypothesis import settings

# Timing belongs in the bench: on a loaded machine a per-example deadline fails correct code.
settings.register_profile("lifeboat", deadline=None)
settings.load_profile("lifeboat")

pytest_plugins = [
    "tests.plugins.payloads",
    "tests.plugins.storage",
    "tests.plugins.arm",
    "tests.plugins.rbac_audit",
    "tests.plugins.chaos",
]
