"""The registry change ``liudong region ...`` and ``liudong county register-publisher``
publish: built from their arguments, checked against the registry as it stands, published, and
the one line that says what was published."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from contracts.events.registry import (
    CountyRegistered,
    KeyRotated,
    PublisherRegistered,
    PublisherRevoked,
    RegistryChange,
)
from entrypoints.arguments import EXIT_USAGE
from streams.county_node import CountyNode


def county_of(publisher_id: str) -> str:
    return publisher_id.partition("/")[0]


def build_change(signer: CountyNode, args: argparse.Namespace, now: dt.datetime) -> RegistryChange:
    """The registry change the command publishes; ValidationError when a field is invalid."""
    at = args.at or now
    fields: Mapping[str, Any]
    cls: type[RegistryChange]
    if args.action == "register-county":
        cls = CountyRegistered
        fields = {"county": args.county, "name": args.name, "public_key": args.public_key}
    elif args.action == "register-publisher":
        cls = PublisherRegistered
        fields = {
            "county": county_of(args.publisher),
            "publisher": args.publisher,
            "role": args.role,
            "public_key": args.public_key,
            "event_types": args.event_types,
            "stationed_in": args.stationed_in,
        }
    elif args.action == "rotate-key":
        cls = KeyRotated
        fields = {
            "county": county_of(args.publisher),
            "publisher": args.publisher,
            "public_key": args.public_key,
            "effective_at": args.effective,
        }
    else:
        cls = PublisherRevoked
        fields = {
            "county": county_of(args.publisher),
            "publisher": args.publisher,
            "effective_at": args.effective,
            "reason": args.reason,
        }
    return signer.build(cls, occurred_at=at, **fields)


def first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def describe(change: RegistryChange) -> str:
    """One line saying what was published."""
    if isinstance(change, CountyRegistered):
        return f"county_registered {change.county} ({change.name}): node {change.county}/node"
    if isinstance(change, PublisherRegistered):
        scope = ",".join(change.event_types)
        return f"publisher_registered {change.publisher} ({change.role}): {scope}"
    if isinstance(change, KeyRotated):
        return f"key_rotated {change.publisher}: old key retired {change.effective_at.isoformat()}"
    if isinstance(change, PublisherRevoked):
        return f"publisher_revoked {change.publisher} from {change.effective_at.isoformat()}"
    return change.event_type


async def submit(
    signer: CountyNode,
    args: argparse.Namespace,
    *,
    read_registry: Callable[[], Any],
    registry_topic: str,
) -> int:
    """Build, check against the registry as it stands, then publish the change."""
    from agents.registry import RegistryRejection

    try:
        change = build_change(signer, args, dt.datetime.now(dt.UTC))
    except ValidationError as exc:
        print(f"error: {first_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    registry = await read_registry()
    try:
        registry.apply(change, change.model_dump(mode="json"))
    except RegistryRejection as exc:
        print(
            f"error: the registry would refuse it, nothing published: {exc.code}: {exc.reason}",
            file=sys.stderr,
        )
        return 1
    async with signer:
        await signer.publish(change)
    print(f"{describe(change)}; published to {registry_topic}")
    return 0
