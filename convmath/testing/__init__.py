"""Hypothesis strategies, assertion helpers and a pytest plugin for a course's own CI."""
