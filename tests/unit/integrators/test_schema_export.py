"""The exported JSON Schemas and AsyncAPI document: valid, and in step with the code."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

import contracts
from contracts.envelope import Envelope
from contracts.events.clock import ClockTicked
from contracts.events.derived import DeadLettered
from contracts.events.migration import OutflowRegistered
from contracts.unions import ALL_EVENTS
from integrators import schema_export
from streams.topics import CATALOG

EXPORT_DIR = Path(contracts.__file__).parent / "export"

# The official AsyncAPI JSON Schemas, as published by the AsyncAPI initiative on npm. No
# package on PyPI ships them, so the test fetches this pinned version at set-up time.
ASYNCAPI_SPECS_PACKAGE = "@asyncapi/specs@6.11.1"
ASYNCAPI_SCHEMA_MEMBER = "package/schemas/3.0.0.json"

AT = dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)


def _envelope(**fields: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.UUID("0b7f5c8e-6d1a-4c1e-9a57-3f0d2f7a9b10"),
        "occurred_at": AT,
        "recorded_at": AT + dt.timedelta(seconds=5),
        "source_county": "610902",
        "publisher_id": "610902-node",
        "correlation_id": uuid.UUID("5e2c9a41-0f3b-4d8e-b2a6-7c1d9e4f6a23"),
        **fields,
    }


def _samples() -> list[Envelope]:
    return [
        OutflowRegistered(
            **_envelope(
                schema_version=2,
                person_key="ab" * 32,
                origin_county="610902",
                destination_county="610921",
                reason="work",
                signature="A" * 86 + "==",
            )
        ),
        ClockTicked(**_envelope(schema_version=1, source_county="610900", publisher_id="clock")),
        DeadLettered(
            **_envelope(
                schema_version=1,
                source_county="610900",
                publisher_id="gate",
                causation_id=uuid.UUID("9d4e1f2a-3b5c-4d6e-8f70-a1b2c3d4e5f6"),
                reason_code="malformed_json",
                reason="Expecting value at line 1 column 1 — 无效",
                raw="bm90IGpzb24=",
                source_topic="liudong.county-events",
                source_partition=3,
                source_offset=1024,
            )
        ),
    ]


SAMPLES = _samples()


def _sample_id(event: Envelope) -> str:
    return event.event_type


@pytest.fixture(scope="session")
def asyncapi_meta_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            f"npm is needed to fetch the official AsyncAPI schema ({ASYNCAPI_SPECS_PACKAGE})"
        )
    destination = tmp_path_factory.mktemp("asyncapi-specs")
    result = subprocess.run(
        [npm, "pack", ASYNCAPI_SPECS_PACKAGE, "--json", "--pack-destination", str(destination)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"npm pack {ASYNCAPI_SPECS_PACKAGE} failed:\n{result.stderr[-2000:]}")
    filename = json.loads(result.stdout)[0]["filename"]
    with tarfile.open(destination / filename) as archive:
        member = archive.extractfile(ASYNCAPI_SCHEMA_MEMBER)
        assert member is not None, f"{ASYNCAPI_SCHEMA_MEMBER} is not in {filename}"
        schema: dict[str, Any] = json.load(member)
    return schema


def test_committed_export_matches_the_code() -> None:
    problems = schema_export.check_export(EXPORT_DIR)
    assert not problems, (
        "contracts/export is out of date with the code; regenerate it with "
        "`liudong schema export contracts/export` and commit the result:\n\n" + "\n".join(problems)
    )


@pytest.fixture(scope="session")
def asyncapi_validator(asyncapi_meta_schema: dict[str, Any]) -> Draft7Validator:
    # The bundle is draft-07 and embeds every sub-schema (definitions, Kafka bindings) under
    # its own $id; the validator's registry crawls those, so no extra resources are needed.
    Draft7Validator.check_schema(asyncapi_meta_schema)
    return Draft7Validator(asyncapi_meta_schema)


def test_asyncapi_document_is_valid_asyncapi_3(asyncapi_validator: Draft7Validator) -> None:
    document = schema_export.asyncapi_document()
    errors = sorted(asyncapi_validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:10]
    )


def test_asyncapi_validation_catches_a_broken_document(
    asyncapi_validator: Draft7Validator,
) -> None:
    document = schema_export.asyncapi_document()
    document["operations"]["send-county-events"]["action"] = "publish"  # AsyncAPI 2 wording
    document["channels"]["registry"]["bindings"]["kafka"]["partitions"] = 0
    document["channels"]["alerts"]["messages"]["alert_raised"]["bindings"]["kafka"]["x"] = 1
    document["components"]["schemas"]["ClockTicked"]["type"] = "objekt"
    flagged = {tuple(e.absolute_path)[:2] for e in asyncapi_validator.iter_errors(document)}
    assert flagged == {
        ("operations", "send-county-events"),
        ("channels", "registry"),
        ("channels", "alerts"),
        ("components", "schemas"),
    }


def test_asyncapi_covers_every_topic_and_event() -> None:
    document = schema_export.asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "liudong"
    assert "Ed25519" in document["info"]["description"]
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {spec.full_name("liudong") for spec in CATALOG}
    carried = {
        message["name"]
        for channel in document["channels"].values()
        for message in channel["messages"].values()
    }
    assert carried == {cls.model_fields["event_type"].default for cls in ALL_EVENTS}
    actions = {op["channel"]["$ref"]: op["action"] for op in document["operations"].values()}
    assert actions["#/channels/county-events"] == "send"
    assert actions["#/channels/registry"] == "send"
    assert {ref for ref, action in actions.items() if action == "receive"} == {
        "#/channels/validated",
        "#/channels/obligations",
        "#/channels/alerts",
        "#/channels/scorecards",
        "#/channels/dead-letters",
    }


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def test_every_asyncapi_reference_resolves() -> None:
    document = schema_export.asyncapi_document()
    refs = _refs(document)
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(node, dict), ref
            assert part in node, f"unresolved reference {ref}"
            node = node[part]


def test_export_is_deterministic(tmp_path: Path) -> None:
    assert schema_export.expected_files() == schema_export.expected_files()
    written = schema_export.write_export(tmp_path)
    assert len(written) == len(ALL_EVENTS) + 2  # the schemas, asyncapi.json, vectors.json
    (tmp_path / "schemas" / "stale.json").write_text("{}\n")
    (tmp_path / "asyncapi.json").write_text("{}\n")
    (tmp_path / "schemas" / "clock_ticked.json").unlink()
    problems = schema_export.check_export(tmp_path)
    assert [p.split("\n")[0] for p in problems] == [
        "changed: asyncapi.json",
        "missing: schemas/clock_ticked.json",
        "extra: schemas/stale.json",
    ]
    schema_export.write_export(tmp_path)
    assert schema_export.check_export(tmp_path) == []


def test_cmd_schema_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert schema_export.cmd_schema_export(tmp_path, check=True) == 1
    assert "missing: asyncapi.json" in capsys.readouterr().err
    assert schema_export.cmd_schema_export(tmp_path, check=False) == 0
    assert capsys.readouterr().out == (
        f"wrote {len(ALL_EVENTS)} schemas, asyncapi.json and vectors.json to {tmp_path}\n"
    )
    assert schema_export.cmd_schema_export(tmp_path, check=True) == 0


@pytest.mark.parametrize("event_type", sorted(schema_export.event_schemas()))
def test_event_schema_is_valid_2020_12(event_type: str) -> None:
    schema = schema_export.event_schemas()[event_type]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schema_export.schema_id(event_type)
    assert schema["properties"]["event_type"]["const"] == event_type


@pytest.mark.parametrize("event", SAMPLES, ids=_sample_id)
def test_sample_event_validates_against_its_schema(event: Envelope) -> None:
    schema = schema_export.event_schemas()[event.event_type]
    instance = json.loads(event.model_dump_json())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    validator.validate(instance)
    broken = {**instance, "unexpected": True}
    assert not validator.is_valid(broken)


@pytest.mark.parametrize("event", SAMPLES, ids=_sample_id)
def test_sample_event_validates_against_its_asyncapi_payload(event: Envelope) -> None:
    document = schema_export.asyncapi_document()
    payloads = [
        channel["messages"][event.event_type]["payload"]
        for channel in document["channels"].values()
        if event.event_type in channel["messages"]
    ]
    assert payloads
    instance = json.loads(event.model_dump_json())
    for payload in payloads:
        schema = {**payload, "components": document["components"]}
        Draft7Validator(schema).validate(instance)


def _properties(node: Any, where: str = "") -> list[tuple[str, Any]]:
    """Every (path, property schema) under any ``properties`` in a schema, at any depth."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            found.append((f"{where}/{name}", sub))
        for key, value in node.items():
            found.extend(_properties(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found.extend(_properties(item, f"{where}/{i}"))
    return found


@pytest.mark.parametrize("event_type", sorted(schema_export.event_schemas()))
def test_every_field_has_a_description(event_type: str) -> None:
    schema = schema_export.event_schemas()[event_type]
    fields = _properties(schema)
    assert fields
    missing = [path for path, sub in fields if not sub.get("description", "").strip()]
    assert not missing, f"fields without a description: {missing}"


def test_a_missing_description_would_be_found() -> None:
    schema = schema_export.event_schemas()["clock_ticked"]
    del schema["properties"]["recorded_at"]["description"]
    assert [p for p, sub in _properties(schema) if "description" not in sub] == ["/recorded_at"]


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda cls: cls.__name__)
def test_schema_version_is_the_current_constant_and_required(cls: type[Envelope]) -> None:
    schema = schema_export.event_schema(cls)
    assert schema["properties"]["schema_version"]["const"] == cls.SCHEMA_VERSION
    assert {"event_type", "schema_version"} <= set(schema["required"])


def test_an_old_version_fails_the_schema_whose_description_names_it() -> None:
    schema = schema_export.event_schemas()["outflow_registered"]
    instance = json.loads(SAMPLES[0].model_dump_json()) | {"schema_version": 1}
    assert not Draft202012Validator(schema).is_valid(instance)
    described = schema["properties"]["schema_version"]["description"]
    assert described == (
        "The schema version: 2, the current one. Also read on county-events and upcast: 1 "
        "(see the document)."
    )
    document = schema_export.asyncapi_document()["info"]["description"]
    assert "`outflow_registered` version 1: version 1 named the destination `to_county`" in (
        document
    )


def test_every_message_says_who_publishes_it() -> None:
    channels = schema_export.asyncapi_document()["channels"]
    said = {
        channel_name: {name: m["description"] for name, m in channel["messages"].items()}
        for channel_name, channel in channels.items()
    }
    assert said["county-events"]["clock_ticked"].endswith("Published by the region; signed.")
    assert said["county-events"]["agreement_signed"].endswith(
        "Published by the region or a county node, or a department or office with it in "
        "scope; signed."
    )
    assert said["county-events"]["outflow_registered"].startswith(
        "Published by the origin: ``source_county`` is ``origin_county``."
    )
    assert said["registry"]["publisher_registered"].endswith(
        "Signed by the node of `county` or by the region."
    )
    assert said["obligations"]["obligation_opened"].endswith(
        "Derived by the region's workers; unsigned."
    )
