"""Kedro datasets of the project."""
