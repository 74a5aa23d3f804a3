"""Bundled network specs: ``*.toml`` files, and Python modules whose ``spec()`` returns the same data.

The Python specs are written like torchvision's model definitions (same
block structure, same module names where a block allows), from the helpers
in :mod:`convmath.specs._blocks`.
"""
