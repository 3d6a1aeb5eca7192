"""Helpers shared by the functional and functions tests (not tests themselves)."""
