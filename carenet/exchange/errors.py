"""The error of a register file that is unusable as a whole."""

from __future__ import annotations


class RegisterError(Exception):
    """The whole file is unusable; ``str(exc)`` is one Chinese sentence for the user."""


class ImportConflict(RegisterError):
    """Another import wrote the same children meanwhile; the commit was rolled back."""
