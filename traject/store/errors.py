"""Errors the store raises on purpose: each means "refused, nothing was written"."""

from __future__ import annotations


class StoreError(Exception):
    """A request the store refuses; nothing was written."""


class NotFound(StoreError):
    """No such row, or one of another municipality (which, for the caller, does not exist)."""


class DefinitionConflict(StoreError):
    """A definition version is already published with other content."""


class UnknownRole(StoreError):
    """A user role outside the fixed set (designer, caseworker, volunteer, coordinator, admin)."""


class AppendOnly(StoreError):
    """An attempt to change or remove a row of an append-only table (the audit log)."""


class NaiveTimestamp(StoreError, ValueError):
    """A datetime without a timezone: the store keeps every moment in UTC."""
