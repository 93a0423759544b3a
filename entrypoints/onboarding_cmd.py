"""Onboarding from the command line: the region's ``liudong region ...`` and a county's own
``liudong county register-publisher``.

``region register-county``, ``region register-publisher``, ``region rotate-key`` and
``region revoke`` publish a registry change signed with the region's key (default
``$LIUDONG_HOME/keys/region.pem``). ``county register-publisher`` is the county node
admitting one of its departments or offices, signed with the node's key. Before publishing,
each change is applied to the registry as it stands (read from the registry topic, checked
under the configured region public key) with the registry's own rules: a change the gate
would refuse is reported and never written to the log, which keeps everything forever.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import get_args

from contracts.publishers import NODE_EVENT_TYPES
from contracts.types import PublisherRole
from entrypoints.arguments import EXIT_USAGE, AddParser, UsageParser, county_code, instant
from entrypoints.preflight import catalog_ready
from entrypoints.registry_change import county_of, submit
from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings

DELEGATE_ROLES = tuple(r for r in get_args(PublisherRole) if r not in ("node", "region"))


def add_parser(add: AddParser) -> None:
    configure_region(add("region", help="the region's onboarding: counties, publishers, keys"))
    configure_county(add("county", help="a county node's own registrations"))


def event_types_arg(value: str) -> tuple[str, ...]:
    wanted = tuple(t.strip() for t in value.split(",") if t.strip())
    unknown = sorted(set(wanted) - NODE_EVENT_TYPES)
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"event types are some of {', '.join(sorted(NODE_EVENT_TYPES))}; not {unknown}"
        )
    return wanted


def _publisher_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("publisher", help="its id, <county>/<name>, e.g. 610902/police")
    parser.add_argument("--role", choices=DELEGATE_ROLES, required=True)
    parser.add_argument(
        "--event-types", type=event_types_arg, required=True, help="its scope, comma-separated"
    )
    parser.add_argument("--public-key", required=True, help="its Ed25519 public key (base64)")
    parser.add_argument(
        "--stationed-in", type=county_code, help="an outposted office: the county it works in"
    )


def configure_region(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    key_help = "the region's private key (default: $LIUDONG_HOME/keys/region.pem)"
    at_help = "the registration's instant (default: now)"
    county = sub.add_parser("register-county", help="admit a county node with its public key")
    county.add_argument("county", type=county_code, help="the county's GB/T 2260 code")
    county.add_argument("--name", required=True, help="its name, e.g. 汉滨区")
    county.add_argument("--public-key", required=True, help="the node's public key (base64)")
    publisher = sub.add_parser(
        "register-publisher", help="admit a county's department or outposted office"
    )
    _publisher_arguments(publisher)
    rotate = sub.add_parser("rotate-key", help="replace a publisher's key from an instant on")
    rotate.add_argument("publisher", help="<county>/node or <county>/<name>")
    rotate.add_argument("--public-key", required=True, help="the new public key (base64)")
    rotate.add_argument(
        "--from", dest="effective", type=instant, required=True, help="the old key retires then"
    )
    revoke = sub.add_parser("revoke", help="revoke a publisher from an instant on")
    revoke.add_argument("publisher", help="<county>/node or <county>/<name>")
    revoke.add_argument(
        "--from", dest="effective", type=instant, required=True, help="its key retires then"
    )
    revoke.add_argument("--reason", required=True, help="why, for the record")
    for command in (county, publisher, rotate, revoke):
        command.add_argument("--region-key", type=Path, help=key_help)
        command.add_argument("--at", type=instant, help=at_help)


def configure_county(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, parser_class=UsageParser)
    publisher = sub.add_parser(
        "register-publisher", help="admit one of the county's departments or offices"
    )
    _publisher_arguments(publisher)
    publisher.add_argument("--key", type=Path, required=True, help="the county node's key (PEM)")
    publisher.add_argument("--at", type=instant, help="the registration's instant (default: now)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from agents.registry import Registry
    from bootstrap import services
    from contracts.publishers import node_id, region_id
    from infra.region import region_key_path, region_public_key
    from streams import signing, topics
    from streams.keys import KeyFileError, load_key_file

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return EXIT_USAGE
    if args.command == "region":
        county, publisher_id = settings.region_code, region_id(settings.region_code)
        key_path = args.region_key or region_key_path(settings)
    else:
        county = county_of(args.publisher)
        publisher_id, key_path = node_id(county), args.key
    try:
        key = load_key_file(key_path)
        root = signing.load_public_key(region_public_key(settings))
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not catalog_ready(settings, bootstrap, [topics.REGISTRY]):
        return 1
    signer = services.county_node(
        settings, bootstrap, county=county, publisher_id=publisher_id, private_key=key
    )
    topic = topics.REGISTRY.full_name(settings.topic_prefix)

    async def read_registry() -> Registry:
        reader = services.registry_reader(settings, bootstrap, Registry(settings.region_code, root))
        await reader.start()
        await reader.stop()
        return reader.registry

    return asyncio.run(submit(signer, args, read_registry=read_registry, registry_topic=topic))
