"""Prefect flows: thin wiring of library functions."""
