"""Export the contracts as JSON Schemas, an AsyncAPI 3.0.0 document and the test vectors
(``integrators.contract_vectors``), for integrators.

Everything here is a pure function of the code (the event models and the topic catalog),
except :func:`write_export` / :func:`check_export`, which write or compare the committed
export (``contracts/export``), and :func:`cmd_schema_export`, the CLI handler.

Output is deterministic: the same code always gives byte-identical files, so a drift test
can compare the committed export with what the code generates now.
"""

from __future__ import annotations

import copy
import difflib
import json
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from contracts.envelope import Envelope
from contracts.unions import ALL_EVENTS
from integrators import contract_text, contract_vectors
from streams.codec import union_members
from streams.topics import CATALOG, COUNTY_EVENTS, REGISTRY, TopicSpec

JsonObject = dict[str, Any]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
DEFAULT_PREFIX = "liudong"
SCHEMAS_DIR = "schemas"
ASYNCAPI_FILE = "asyncapi.json"
VECTORS_FILE = "vectors.json"

# Topics county nodes (and the region's registry admin) write to; everything else is derived
# by the region's workers and read by the region's consumers.
SENT_BY_COUNTIES: tuple[TopicSpec, ...] = (COUNTY_EVENTS, REGISTRY)


def schema_id(event_type: str) -> str:
    """The ``$id`` of an event's JSON Schema (a URN: stable, and resolvable by no one)."""
    return f"urn:liudong:schema:{event_type}"


def _event_type(cls: type[Envelope]) -> str:
    default = cls.model_fields["event_type"].default
    if not isinstance(default, str):
        raise TypeError(f"{cls.__name__} has no literal event_type default")
    return default


def _events() -> list[tuple[str, type[Envelope]]]:
    return sorted(((_event_type(cls), cls) for cls in ALL_EVENTS), key=lambda item: item[0])


def _raw_schema(cls: type[Envelope]) -> JsonObject:
    schema = cls.model_json_schema(mode="validation")
    # The current version only: older ones are described, and read by the gate's upcasters.
    schema["properties"]["schema_version"] = {
        "const": cls.SCHEMA_VERSION,
        "description": contract_text.version_description(cls),
        "title": "Schema Version",
        "type": "integer",
    }
    return schema


def event_schema(cls: type[Envelope]) -> JsonObject:
    """The standalone JSON Schema (draft 2020-12) of one event class."""
    schema: JsonObject = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(_event_type(cls)),
        **_raw_schema(cls),
        "title": cls.__name__,
    }
    return _sorted_object(schema)


def event_schemas() -> dict[str, JsonObject]:
    """event_type -> standalone JSON Schema, for every event class."""
    return {event_type: event_schema(cls) for event_type, cls in _events()}


def _rewrite_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out: JsonObject = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = prefix + value.removeprefix("#/$defs/")
            else:
                out[key] = _rewrite_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, prefix) for item in node]
    return node


def component_schemas() -> dict[str, JsonObject]:
    """Schema name -> schema, with every model's ``$defs`` hoisted and refs rewritten."""
    prefix = "#/components/schemas/"
    components: dict[str, JsonObject] = {}

    def add(name: str, schema: JsonObject, owner: str) -> None:
        existing = components.get(name)
        if existing is not None and existing != schema:
            raise ValueError(f"two different schemas are both named {name!r} (seen in {owner})")
        components[name] = schema

    for _, cls in _events():
        raw = copy.deepcopy(_raw_schema(cls))
        defs: JsonObject = raw.pop("$defs", {})
        for name, sub in defs.items():
            add(name, _rewrite_refs(sub, prefix), cls.__name__)
        add(cls.__name__, _rewrite_refs(raw, prefix), cls.__name__)
    return {name: _sorted_object(components[name]) for name in sorted(components)}


def _package_version() -> str:
    try:
        return metadata.version("liudong")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _channel_id(spec: TopicSpec) -> str:
    return spec.name


def _operation_id(action: str, spec: TopicSpec) -> str:
    return f"{action}-{spec.name}"


def _channel(spec: TopicSpec, prefix: str) -> JsonObject:
    members = union_members(spec.union)
    config = spec.config()
    topic_configuration: JsonObject = {
        "cleanup.policy": [config["cleanup.policy"]],
        "retention.ms": int(config["retention.ms"]),
    }
    kafka: JsonObject = {
        "bindingVersion": KAFKA_BINDING_VERSION,
        "topic": spec.full_name(prefix),
        "topicConfiguration": topic_configuration,
    }
    partitioning = "a single partition: totally ordered"
    if spec.partitioned:
        partitioning = "partitioned (the partition count is set per deployment)"
    else:
        kafka["partitions"] = spec.partitions(1)
    key_description = contract_text.key_description(spec)
    messages: JsonObject = {}
    for event_type in sorted(members):
        cls = members[event_type]
        message: JsonObject = {
            "name": event_type,
            "title": cls.__name__,
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
            "bindings": {
                "kafka": {
                    "bindingVersion": KAFKA_BINDING_VERSION,
                    "key": {"type": "string", "description": key_description},
                }
            },
        }
        if spec.caused:
            message["headers"] = contract_text.cause_headers()
        paragraphs = [" ".join(p.split()) for p in (cls.__doc__ or "").strip().split("\n\n")]
        if paragraphs[0]:
            message["summary"] = paragraphs[0]
        message["description"] = " ".join(
            [*paragraphs[1:], contract_text.published_by(event_type, spec)]
        )
        messages[event_type] = message
    return {
        "address": spec.full_name(prefix),
        "title": spec.name,
        "description": f"{spec.description} {key_description} The topic is {partitioning}; "
        f"cleanup.policy={config['cleanup.policy']}, retention.ms={config['retention.ms']} "
        "(-1: kept forever).",
        "messages": messages,
        "bindings": {"kafka": kafka},
    }


def _operation(action: str, spec: TopicSpec) -> JsonObject:
    channel = _channel_id(spec)
    who = "County nodes (and their departments)" if action == "send" else "The region's consumers"
    verb = "publish to" if action == "send" else "read"
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": f"{who} {verb} {spec.name}.",
        "messages": [
            {"$ref": f"#/channels/{channel}/messages/{event_type}"}
            for event_type in sorted(union_members(spec.union))
        ],
    }


def asyncapi_document(prefix: str = DEFAULT_PREFIX) -> JsonObject:
    """The AsyncAPI 3.0.0 document of every topic in the catalog."""
    channels = {_channel_id(spec): _channel(spec, prefix) for spec in CATALOG}
    operations: JsonObject = {}
    for spec in CATALOG:
        action = "send" if spec in SENT_BY_COUNTIES else "receive"
        operations[_operation_id(action, spec)] = _operation(action, spec)
    document: JsonObject = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "liudong",
            "version": _package_version(),
            "description": contract_text.DESCRIPTION,
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": component_schemas()},
    }
    return _sorted_object(document)


def _sorted_object(node: JsonObject) -> JsonObject:
    return {key: _sorted(node[key]) for key in sorted(node)}


def _sorted(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _sorted(node[key]) for key in sorted(node)}
    if isinstance(node, list):
        return [_sorted(item) for item in node]
    return node


def render(document: JsonObject) -> str:
    """The exact text of an exported file: sorted keys, indent 2, trailing newline."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    """Relative path (POSIX) -> exact text, for every file of the export."""
    files = {
        f"{SCHEMAS_DIR}/{event_type}.json": render(schema)
        for event_type, schema in event_schemas().items()
    }
    files[ASYNCAPI_FILE] = render(asyncapi_document())
    files[VECTORS_FILE] = render(contract_vectors.vectors())
    return dict(sorted(files.items()))


def _existing_files(directory: Path) -> Iterator[str]:
    if not directory.is_dir():
        return
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            yield path.relative_to(directory).as_posix()


def write_export(directory: Path) -> list[Path]:
    """Write the export under ``directory``; stale ``schemas/*.json`` files are removed."""
    files = expected_files()
    schemas = directory / SCHEMAS_DIR
    schemas.mkdir(parents=True, exist_ok=True)
    for stale in sorted(schemas.glob("*.json")):
        if f"{SCHEMAS_DIR}/{stale.name}" not in files:
            stale.unlink()
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def check_export(directory: Path, context_lines: int = 20) -> list[str]:
    """Differences between the export under ``directory`` and the code, one per entry."""
    expected = expected_files()
    existing = set(_existing_files(directory))
    problems: list[str] = []
    for relative, text in expected.items():
        if relative not in existing:
            problems.append(f"missing: {relative}")
            continue
        current = (directory / relative).read_text(encoding="utf-8")
        if current != text:
            diff = list(
                difflib.unified_diff(
                    current.splitlines(),
                    text.splitlines(),
                    fromfile=f"committed/{relative}",
                    tofile=f"generated/{relative}",
                    lineterm="",
                )
            )
            shown = diff[:context_lines]
            if len(diff) > context_lines:
                shown.append(f"... ({len(diff) - context_lines} more diff lines)")
            problems.append(f"changed: {relative}\n" + "\n".join(shown))
    problems.extend(f"extra: {relative}" for relative in sorted(existing - set(expected)))
    return problems


def cmd_schema_export(directory: Path, check: bool) -> int:
    """``liudong schema export DIR [--check]``: write the export, or check it for drift."""
    if check:
        problems = check_export(directory)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(
                f"{directory} is out of date ({len(problems)} differences): "
                f"run `liudong schema export {directory}`",
                file=sys.stderr,
            )
            return 1
        print(
            f"{directory} is up to date: {len(ALL_EVENTS)} schemas, {ASYNCAPI_FILE} "
            f"and {VECTORS_FILE}"
        )
        return 0
    written = write_export(directory)
    count = sum(1 for path in written if path.parent.name == SCHEMAS_DIR)
    print(f"wrote {count} schemas, {ASYNCAPI_FILE} and {VECTORS_FILE} to {directory}")
    return 0
