"""An admin sees the notifications that could not be delivered and sends one again; nobody
else finds the page."""

from __future__ import annotations

import re
from uuid import uuid4

from fastapi.testclient import TestClient

from alerts.services import Services
from storage import notifications as db
from tests.integration.alerts.conftest import Login


def _bury(services: Services) -> int:
    row = db.OutboxRow(
        key=f"k-{uuid4().hex}", channel="wecom", contact="beishan-office",
        alarm_id=f"A{uuid4().hex[:8]}", event_id=uuid4().hex, payload={"text": "红色告警"},
        attempts=0,
    )

    def work(conn):
        db.enqueue(conn, row)
        db.bury(conn, row, attempts=5, error="HTTP 500 from the robot")
        return db.dead_letters(conn, 10, 0)[0].id

    return int(services.store.run(work))


def test_an_admin_retries_a_dead_letter_and_it_is_pending_again(
    login: Login, services: Services
) -> None:
    letter = _bury(services)
    client = login("admin", "")
    page = client.get("/console/admin/dead-letters")
    assert page.status_code == 200
    assert f'data-dead-letter-id="{letter}"' in page.text and "HTTP 500 from the robot" in page.text
    assert client.post(f"/console/admin/dead-letters/{letter}/retry").status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    done = client.post(f"/console/admin/dead-letters/{letter}/retry",
                       data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert f'data-dead-letter-id="{letter}"' not in after.text
    assert f'data-retried="{letter}"' in after.text


def test_the_dead_letters_page_does_not_exist_for_a_monitor(login: Login) -> None:
    client: TestClient = login("monitor", "330106001")
    assert client.get("/console/admin/dead-letters").status_code == 404
