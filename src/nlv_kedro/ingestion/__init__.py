"""Ingestion: find the input videos, probe them, validate the table, quarantine what is bad."""
