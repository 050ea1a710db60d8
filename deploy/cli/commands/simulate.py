"""`./run simulate`: a simulated fleet publishing over MQTT (QoS 1)."""

from __future__ import annotations

import argparse
from pathlib import Path

from deploy.cli.errors import CliError
from deploy.stack import certs
from deploy.stack.config import StackConfig
from ingest.simulator.fleet import SCENARIOS, Fleet
from ingest.simulator.publisher import (
    Certificates,
    ConnectionRefused,
    Credentials,
    publish,
    senders,
)
from schemas.registry_file import RegistryFileInvalid, parse
from schemas.settings import Endpoints


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "simulate",
        help="publish a simulated fleet of detectors over MQTT",
        description="Without --registry: N synthetic devices of enterprise SIM published with the "
        "service account (the gateway rejects them as unknown_device unless registered). With "
        "--registry: the file's devices, each enterprise with its own mqtt_password.",
    )
    parser.add_argument("--devices", type=_positive_int, default=100, help="synthetic devices")
    parser.add_argument("--rate", type=float, default=100.0, help="messages/s, whole fleet")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to publish")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="normal")
    parser.add_argument("--registry", type=Path, help="registry YAML whose devices to simulate")
    parser.add_argument(
        "--gateway-share", type=float, default=0.0, help="share of devices behind field gateway"
    )
    parser.add_argument(
        "--tls", action="store_true",
        help="over TLS to the certificate listener, each device and field gateway with its own "
        "client certificate (./run certs issue ID...)",
    )
    parser.set_defaults(handler=_simulate)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _simulate(args: argparse.Namespace) -> int:
    if args.rate <= 0 or args.seconds <= 0:
        raise CliError("--rate and --seconds must be positive")
    endpoints = Endpoints()
    service = Credentials(
        endpoints.mqtt_service_user, endpoints.mqtt_service_password.get_secret_value()
    )
    credentials = {"*": service}
    if args.registry is not None:
        try:
            registry = parse(args.registry.read_text(encoding="utf-8"), str(args.registry))
        except (OSError, RegistryFileInvalid) as exc:
            raise CliError(f"cannot use {args.registry}: {exc}") from exc
        fleet = Fleet.from_registry(registry, interval_s=len(registry.devices) / args.rate)
        for ent in registry.enterprises:
            if ent.mqtt_password is not None:
                credentials[ent.id] = Credentials(ent.id, ent.mqtt_password.get_secret_value())
    else:
        fleet = Fleet.synthetic(
            "SIM", args.devices, args.devices / args.rate, gateway_share=args.gateway_share
        )
    SCENARIOS[args.scenario](fleet)
    port, certificates = endpoints.mqtt_port, None
    if args.tls:
        cfg = StackConfig.from_env()
        port, certificates = cfg.mqtt_cert_port, Certificates(
            str(certs.Authority(cfg.tls).ca_cert), cfg.tls / "clients"
        )
        missing = certificates.missing(senders(fleet))
        if missing:
            raise CliError(f"no client certificate for {len(missing)} device(s) or gateway(s), "
                           f"issue them with ./run certs issue: {' '.join(missing[:5])}")
    try:
        summary = publish(fleet, endpoints.mqtt_host, port, credentials, args.seconds,
                          certificates=certificates)
    except ConnectionRefused as exc:
        raise CliError(f"{exc} (revoked or expired? ./run certs list)") from exc
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary.by_kind.items()))
    print(
        f"simulate: {len(fleet.devices)} devices, scenario {args.scenario}: "
        f"{summary.readings} readings in {summary.publications} publications ({kinds}) "
        f"over {summary.seconds:.1f} s = {summary.readings_per_s:.0f} readings/s; "
        f"unacked {summary.unacked}"
    )
    return 1 if summary.unacked else 0
