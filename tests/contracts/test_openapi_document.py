"""The alerts service's OpenAPI document (served at /openapi.json, read by /docs) passes
openapi-spec-validator, and the check fails on a broken copy of it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from pydantic import SecretStr

from alerts.app import create_app
from alerts.bootstrap import build
from alerts.commands import KafkaCommandBus
from alerts.settings import AlertsSettings
from schemas.settings import Endpoints

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def document(stack: Endpoints) -> Iterator[dict[str, Any]]:
    """The document as the service builds it, wired to the real stack (nothing started)."""
    settings = AlertsSettings(
        **{**stack.model_dump(), "database_url": stack.database_url},
        api_token_secret=SecretStr(uuid4().hex),
    )
    services = build(settings)
    try:
        yield create_app(services).openapi()
    finally:
        if isinstance(services.bus, KafkaCommandBus):
            services.bus.close()
        services.store.close()


def test_the_openapi_document_passes_openapi_spec_validator(document: dict[str, Any]) -> None:
    validate(document)
    assert "/api/v1/alarms" in document["paths"]


def test_the_check_fails_on_a_path_parameter_the_document_does_not_declare(
    document: dict[str, Any],
) -> None:
    broken = copy.deepcopy(document)
    item = next(i for p, i in broken["paths"].items() if "{" in p)
    for operation in item.values():
        operation["parameters"] = [
            p for p in operation.get("parameters", []) if p.get("in") != "path"
        ]

    with pytest.raises(OpenAPIValidationError, match="Path parameter"):
        validate(broken)
