"""The alerts service's errors; `alerts.api.errors` maps each to one HTTP status."""

from __future__ import annotations


class AlertsError(Exception):
    """Base of every error the API turns into a response."""


class Unauthorized(AlertsError):
    """Missing, malformed, forged or expired token (401)."""


class NotFound(AlertsError):
    """Unknown, or outside the caller's scope: the two are indistinguishable on purpose (404)."""


class Forbidden(AlertsError):
    """In scope, but the role may not do this (403)."""


class Conflict(AlertsError):
    """The alarm's current state does not allow the command (409)."""


class Unavailable(AlertsError):
    """Kafka or the database does not answer (503)."""
