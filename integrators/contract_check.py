"""``liudong contract check FILE``: a county's output checked against the contract, offline.

Each line is either a line of a JSON-lines export (the ``liudong publish`` input: no
``signature``), parsed and signed exactly as ``liudong publish`` would, or a message as a
county system sends it (a full event with its ``signature``). Either way the result goes
through the gate's own decision (``agents.gate_rules.decide``) against a registry that
holds just this publisher, so every problem is reported with the reason code the gate would
give. Lines are decided in order, as one partition sees them: a repeated event is a
duplicate (dropped, not a problem), an event id reused on other content is refused.

Not checked offline: whether the publisher is registered at the region, and the logical
clock's skew limit (no ticks but the file's own).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agents.admission import Admission, Repeat
from agents.gate_rules import Accepted, Rejected
from agents.registry import Registry, RegistryRejection
from contracts.events.registry import CountyRegistered, PublisherRegistered, RegistryChange
from contracts.publishers import NODE_EVENT_TYPES, node_id, region_id
from integrators.export_lines import LineError, parse_line, read_lines
from streams import codec as codec_module
from streams import signing
from streams.county_node import CountyNode

SENT_FIELDS = ("signature", "schema_version")  # a sent message has them, an export line not
# The person-key secret of the check: any secret shows whether an ID number is valid.
CHECK_SECRET = b"liudong contract check"
_REGISTERED_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    code: str
    reason: str


@dataclass
class CheckReport:
    admitted: int = 0
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (line, first line)
    problems: list[Problem] = field(default_factory=list)


class SetupError(ValueError):
    """The publisher to check as cannot be set up (a bad id, scope or county)."""


@dataclass(frozen=True, slots=True)
class Publisher:
    """Who the lines are checked as: the publisher ``liudong publish`` would sign for."""

    county: str
    publisher_id: str
    key: Ed25519PrivateKey
    event_types: tuple[str, ...] = ()  # a department's scope; empty: the node's
    stationed_in: str | None = None


def registry_for(publisher: Publisher, region_code: str) -> Registry:
    """A registry holding this publisher alone, built with the registry's own rules."""
    region = Ed25519PrivateKey.generate()
    registry = Registry(region_code, region.public_key())
    node = publisher.key if publisher.publisher_id == node_id(publisher.county) else None
    changes: list[RegistryChange] = [
        _by_region(
            region,
            region_code,
            CountyRegistered,
            county=publisher.county,
            name=publisher.county,
            public_key=signing.public_key_b64(node or Ed25519PrivateKey.generate()),
        )
    ]
    if node is None:
        office = publisher.stationed_in is not None
        changes.append(
            _by_region(
                region,
                region_code,
                PublisherRegistered,
                county=publisher.county,
                publisher=publisher.publisher_id,
                # The role matters to the gate only for an outposted office.
                role="outposted_office" if office else "civil_affairs",
                public_key=signing.public_key_b64(publisher.key),
                event_types=publisher.event_types or tuple(sorted(NODE_EVENT_TYPES)),
                stationed_in=publisher.stationed_in,
            )
        )
    for change in changes:
        try:
            registry.apply(change, change.model_dump(mode="json"))
        except RegistryRejection as exc:
            raise SetupError(exc.reason) from None
    return registry


def _by_region(
    key: Ed25519PrivateKey, region_code: str, cls: type[RegistryChange], **fields: Any
) -> RegistryChange:
    node = CountyNode(
        county=region_code,
        private_key=key,
        person_key_secret=b"",
        bootstrap_servers="",  # never started: it only builds and signs
        publisher_id=region_id(region_code),
    )
    try:
        return node.build(cls, occurred_at=_REGISTERED_AT, recorded_at=_REGISTERED_AT, **fields)
    except ValueError as exc:
        raise SetupError(str(exc).splitlines()[-1].strip()) from None


def check(
    lines: Iterable[tuple[int, str]],
    publisher: Publisher,
    registry: Registry,
    *,
    key_given: bool = True,
) -> CheckReport:
    """Decide every line as the gate would, against ``registry_for(publisher)``;
    ``key_given`` False: the publisher's key is a stand-in, so a sent message's signature
    cannot be checked."""
    node = CountyNode(
        county=publisher.county,
        private_key=publisher.key,
        person_key_secret=CHECK_SECRET,
        bootstrap_servers="",  # never started: it only builds and signs
        publisher_id=publisher.publisher_id,
    )
    report = CheckReport()
    judge = Admission(registry)
    first_line: dict[str, int] = {}
    for number, line in lines:
        try:
            value = _as_sent(line, node)
        except LineError as exc:
            report.problems.append(Problem(number, exc.code, exc.reason))
            continue
        decision = judge.judge(value)
        if isinstance(decision, Rejected):
            reason = decision.reason
            if decision.code == "bad_signature" and not key_given:
                reason += " (give --key: a signed message is checked with the publisher's key)"
            report.problems.append(Problem(number, decision.code, reason))
        elif isinstance(decision, Repeat):
            report.duplicates.append((number, first_line[decision.event_id]))
        elif isinstance(decision, Accepted):
            first_line.setdefault(str(decision.event.event_id), number)
            report.admitted += 1
    return report


def _as_sent(line: str, node: CountyNode) -> bytes:
    """The bytes a county system would send for this line."""
    try:
        parsed = json.loads(line)
    except json.JSONDecodeError:
        parsed = None  # parse_line says what is wrong with it
    if isinstance(parsed, dict) and any(name in parsed for name in SENT_FIELDS):
        return line.strip().encode()
    event = parse_line(line, county=node.county, build=node.build, hash_id=node.person_key)
    return codec_module.encode(event)


def cmd_contract_check(
    source: str,
    *,
    county: str,
    publisher_id: str | None,
    key: Ed25519PrivateKey | None,
    event_types: tuple[str, ...],
    stationed_in: str | None,
    region_code: str,
) -> int:
    """Print each problem as ``line N: code: reason``; exit 1 if any, 2 if it cannot run."""
    publisher = Publisher(
        county,
        publisher_id or node_id(county),
        key or Ed25519PrivateKey.generate(),
        event_types,
        stationed_in,
    )
    try:
        registry = registry_for(publisher, region_code)
        lines = list(read_lines(source))
        report = check(lines, publisher, registry, key_given=key is not None)
    except OSError as exc:
        print(f"error: cannot read {source}: {exc.strerror}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(f"error: {source} is not UTF-8 ({exc.reason} at byte {exc.start})", file=sys.stderr)
        return 2
    except SetupError as exc:
        print(f"error: cannot check as {publisher.publisher_id}: {exc}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"line {problem.line}: {problem.code}: {problem.reason}")
    for number, first in report.duplicates:
        print(f"line {number}: duplicate of line {first} (would be dropped)")
    name = Path(source).name if source != "-" else "stdin"
    print(
        f"{name}: {len(lines)} lines, {report.admitted} would be admitted, "
        f"{len(report.duplicates)} duplicates, {len(report.problems)} problems",
        file=sys.stderr,
    )
    return 1 if report.problems else 0
