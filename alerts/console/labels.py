"""The part of a catalogue the page scripts need to draw live rows in the person's language."""

from __future__ import annotations

from functools import cache

from alerts.console.i18n import catalogue

_FOR_SCRIPTS = (
    "severity.", "state.", "condition.", "family.", "escalation.", "js.", "action.", "col.",
    "reason.", "mark.",
)


@cache
def labels(language: str) -> dict[str, str]:
    return {k: v for k, v in catalogue(language).messages.items() if k.startswith(_FOR_SCRIPTS)}
