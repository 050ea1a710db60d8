"""End-to-end tests share the ingest fixtures (an enterprise with one device per family in a
fresh registry; gateway processes of the test's own) and the stream fixtures (a worker process;
a wire to its topics)."""

from tests.integration.ingest.conftest import gateways, site  # noqa: F401
from tests.integration.streams.fixtures import start_worker, wire  # noqa: F401
