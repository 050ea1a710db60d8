"""Notifications that could not be delivered after their last try (admins only), each with a
retry button: the message goes back to its outbox and a running notifier sends it within a tick."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from alerts.console.auth import ServicesDep, SessionDep, check_csrf
from alerts.console.templating import render
from alerts.errors import NotFound
from alerts.notify.dead_letters import list_dead_letters, retry

router = APIRouter(prefix="/console/admin/dead-letters", include_in_schema=False)


def _admin_only(session: SessionDep) -> None:
    # Outside the role it does not exist, as everywhere else in the console.
    if session.account.role != "admin":
        raise NotFound("no such page")


@router.get("")
def dead_letters_page(request: Request, session: SessionDep, svc: ServicesDep) -> Response:
    _admin_only(session)
    letters = list_dead_letters(svc.store, limit=200)
    retried = request.query_params.get("retried")
    return render(request, "dead_letters.html", session, letters=letters, retried=retried)


@router.post("/{letter_id}/retry")
def retry_letter(
    letter_id: int,
    session: SessionDep,
    svc: ServicesDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    _admin_only(session)
    check_csrf(session, csrf_token)
    if not retry(svc.store, letter_id):
        raise NotFound(f"no dead letter {letter_id}")
    return RedirectResponse(f"/console/admin/dead-letters?retried={letter_id}", status_code=303)
