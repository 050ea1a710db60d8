"""The dead letters an admin sees and retries (the console's admin page calls these)."""

from __future__ import annotations

from storage import notifications as db
from storage.datastore import Datastore
from storage.notifications import DeadLetterRow


def list_dead_letters(store: Datastore, limit: int = 100, offset: int = 0) -> list[DeadLetterRow]:
    """Newest first. The payload holds the message and the contact's id, never its secrets."""
    return store.run(lambda conn: db.dead_letters(conn, limit, offset))


def retry(store: Datastore, letter_id: int) -> bool:
    """Give a dead letter a fresh round of attempts: its outbox row is pending again (a running
    notifications process sends it within a tick) and the letter is gone. False when no letter
    has that id (already retried, or never existed)."""
    return store.run(lambda conn: db.revive(conn, letter_id))
