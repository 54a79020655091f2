"""Property-based run of the OpenAPI schema (schemathesis): generated requests never get a 5xx."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from api_support import build_test_index, disk_loader
from conftest import FakeEncoder
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance
from starlette.testclient import TestClient

from api.main import create_app
from embed.config import Settings

EXAMPLES_PER_OPERATION = 25
"""Enough to hit the edges of each schema (lengths, ranges, odd strings) while keeping the suite fast."""


# schemathesis reads the schema at import; building the app loads nothing, and the fixture below loads
# the index (into this folder) before any request is made.
INDEX_DIR = Path(tempfile.mkdtemp(prefix="policyqa-schema-")) / "index"
atexit.register(shutil.rmtree, INDEX_DIR.parent, ignore_errors=True)  # also when these tests are deselected
APP = create_app(Settings(index_dir=INDEX_DIR, api_key="schema-key"), loader=disk_loader(FakeEncoder()))
schema = schemathesis.openapi.from_dict(APP.openapi())  # from_asgi would run the lifespan right now
schema.app = APP


@pytest.fixture(scope="module", autouse=True)
def loaded_app():
    build_test_index(INDEX_DIR, FakeEncoder())
    with TestClient(APP):  # runs the lifespan: the service stays loaded while the cases run
        yield


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases on every run: a failure here is reproducible, never a fluke
)
def test_generated_requests_never_get_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
