"""Randomized, reproducible exercise families, rendering and assignments."""
