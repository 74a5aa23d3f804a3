"""Notebook ingestion, sandboxed execution, checking, feedback and gradebook."""
