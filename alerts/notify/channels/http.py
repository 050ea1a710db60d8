"""What the HTTP channels share: one POST, and how its answer maps to success or a retry."""

from __future__ import annotations

from typing import Any

import httpx

from alerts.notify.port import DeliveryFailed


def post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """POST once; connection errors, timeouts, 5xx and 429 may heal, other 4xx will not."""
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        # The exception text may quote the URL, and robot URLs carry their access key.
        raise DeliveryFailed(type(exc).__name__, retryable=True) from exc
    status = response.status_code
    if status >= 300:
        raise DeliveryFailed(f"HTTP {status}", retryable=status >= 500 or status == 429)
    return response


def check_code(
    response: httpx.Response, field: str, *, ok: tuple[object, ...], rate_limited: set[object]
) -> None:
    """The robot APIs answer 200 with an error code in the body: 0 is success."""
    try:
        answer: Any = response.json()
    except ValueError as exc:
        raise DeliveryFailed("answer is not JSON", retryable=True) from exc
    code = answer.get(field) if isinstance(answer, dict) else None
    if code in ok:
        return
    message = str(answer.get("errmsg") or answer.get("msg") or "")[:200]
    raise DeliveryFailed(f"{field} {code}: {message}", retryable=code in rate_limited)
