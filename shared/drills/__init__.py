"""Drills: a DR plan run in isolation, validated, measured, cleaned up, with its evidence kept."""
