"""Run student code in a separate, resource-limited, kernel-isolated process.

See ``SECURITY.md`` at the top of the repository for the threat model.
Names are exported lazily so that the child process, which loads the
modules of this package by file, never imports the parent-side machinery.
"""

from __future__ import annotations

from convmath._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Sandbox": "grader.sandbox.client",
    "SandboxLimits": "grader.sandbox.limits",
    "IsolationReport": "grader.sandbox.limits",
    "CellResult": "grader.sandbox.limits",
    "Value": "grader.sandbox.limits",
    "CallResult": "grader.sandbox.limits",
    "find_forbidden_imports": "grader.sandbox.source",
    "strip_magics": "grader.sandbox.source",
    "probe_isolation": "grader.sandbox.client",
    "remove_tree": "grader.sandbox.cleanup",
    "sweep": "grader.sandbox.cleanup",
    "sandbox_root": "grader.sandbox.cleanup",
}

__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
