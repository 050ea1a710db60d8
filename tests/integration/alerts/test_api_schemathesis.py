"""Property-based requests from the OpenAPI spec, in-process, against the real stack: whatever
schemathesis sends, the API answers without a server error (5xx)."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.services import Services
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import seed_alarm


def test_no_request_from_the_spec_makes_a_server_error(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    seed_alarm(services.store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    admin = {"Authorization": f"Bearer {token(role='admin', scope='*')}"}
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    # The live feed never ends by itself; its refusals are covered in test_api_access.
    operations = [op for op in operations if op.path != "/api/v1/stream"]
    assert len(operations) >= 8, [op.label for op in operations]
    failures: list[str] = []
    statuses: list[int] = []
    for operation in operations:

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), authorised=st.booleans())
        def no_server_error(case: Any, authorised: bool) -> None:
            response = case.call(headers=admin if authorised else None)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:200]}")

        no_server_error()
    assert failures == []
    # It reached the handlers, not only the token check.
    assert {200, 401} <= set(statuses)
