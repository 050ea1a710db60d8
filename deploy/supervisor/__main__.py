"""`python -m deploy.supervisor`: started in the background by `./run up` with the stack's
environment; supervises the processes of deploy/services.py and serves its metrics."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, start_http_server

from deploy import services
from deploy.stack.config import StackConfig
from deploy.supervisor.metrics import SupervisorMetrics
from deploy.supervisor.policy import RestartPolicy
from deploy.supervisor.runner import Supervisor


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cfg = StackConfig.from_env()
    metrics = SupervisorMetrics(CollectorRegistry())
    start_http_server(cfg.supervisor_port, addr="127.0.0.1", registry=metrics.registry)
    Supervisor(cfg, services.table(cfg), RestartPolicy.from_env(), metrics).run()


if __name__ == "__main__":
    main()
