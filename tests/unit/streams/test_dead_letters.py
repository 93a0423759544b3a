"""What a dead letter keeps of a refused message: bounded, without ID numbers, printable."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest

from contracts.events.derived import DeadLettered
from streams import dead_letters, topics
from streams.codec import DEFAULT_MAX_BYTES, encode
from streams.dead_letters import RAW_LIMIT, REASON_LIMIT, Source, clean_reason, keep, record

STANDARD_EXAMPLE = "11010519491231002X"  # GB 11643-1999's printed example
AT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
SOURCE = Source("liudong.county-events", 4, 1234, AT)


def test_a_small_message_is_kept_whole_with_its_length_and_hash() -> None:
    data = b'{"event_type": "outflow_registered"}'
    kept = keep(data)
    assert kept.raw == data
    assert kept.length == len(data)
    assert kept.sha256 == hashlib.sha256(data).hexdigest()
    assert kept.ids_masked == 0


def test_a_large_message_is_cut_and_its_length_and_hash_are_of_the_whole() -> None:
    data = bytes(range(256)) * 4000  # 1,024,000 bytes, not UTF-8
    kept = keep(data)
    assert kept.raw == data[:RAW_LIMIT]
    assert kept.length == 1_024_000
    assert kept.sha256 == hashlib.sha256(data).hexdigest()


def test_nothing_is_kept_of_a_tombstone_but_its_length() -> None:
    assert keep(None) == dead_letters.Kept(b"", 0, hashlib.sha256(b"").hexdigest(), 0)


def test_an_id_number_is_masked_and_no_hash_is_kept() -> None:
    data = f'{{"national_id": "{STANDARD_EXAMPLE}", "x": "\xff"}}'.encode("latin-1")
    kept = keep(data)
    assert kept.raw == data.replace(STANDARD_EXAMPLE.encode(), b"*" * 18)  # the \xff kept too
    assert kept.length == len(data)
    assert kept.sha256 is None
    assert kept.ids_masked == 1


def test_an_id_number_across_the_cut_is_masked_whole() -> None:
    data = b" " * (RAW_LIMIT - 9) + STANDARD_EXAMPLE.encode() + b" " * 100
    kept = keep(data)
    assert kept.raw == b" " * (RAW_LIMIT - 9) + b"*" * 9
    assert kept.ids_masked == 1


@pytest.mark.parametrize(
    ("reason", "clean"),
    [
        ("unknown field 'a\x00b\x1b[31m'", "unknown field 'a\\x00b\\x1b[31m'"),
        ("tab\tnew\nline\r", "tab\\x09new\\x0aline\\x0d"),
        ("bidi \u202eevil", "bidi \\u202eevil"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("sep \u2028 line", "sep \\u2028 line"),
        ("del \x7f c1 \x85", "del \\x7f c1 \\x85"),
        ("汉滨区　宝安区: a reason", "汉滨区　宝安区: a reason"),  # the ideographic space stays
        (f"id\x00{STANDARD_EXAMPLE}\x00", "id\\x00" + "*" * 18 + "\\x00"),  # masked, then escaped
    ],
)
def test_reasons_are_printable_and_hold_no_id_number(reason: str, clean: str) -> None:
    assert clean_reason(reason) == clean


def test_a_long_reason_is_cut_to_the_contracts_limit() -> None:
    cleaned = clean_reason("\x00" * REASON_LIMIT)
    assert len(cleaned) == REASON_LIMIT
    assert cleaned.endswith("…")


def test_a_dead_letter_is_derived_from_its_source_and_encodes_whatever_was_sent() -> None:
    value = b'{"\xed\xa0\x80": 1, "id": "' + STANDARD_EXAMPLE.encode() + b'"}'
    first = record(
        SOURCE,
        value,
        "invalid_fields",
        "\ud800: Extra inputs are not permitted",
        region_code="610900",
        publisher_id="610900/gate",
    )
    again = record(
        SOURCE,
        value,
        "invalid_fields",
        "\ud800: Extra inputs are not permitted",
        region_code="610900",
        publisher_id="610900/gate",
    )
    assert first == again  # a re-delivery writes the same record
    data = encode(first)  # a lone surrogate in the reason would make this raise
    decoded = DeadLettered.model_validate_json(data)
    assert decoded.reason == "\\ud800: Extra inputs are not permitted"
    assert base64.b64decode(decoded.raw) == value.replace(STANDARD_EXAMPLE.encode(), b"*" * 18)
    assert (decoded.source_topic, decoded.source_partition, decoded.source_offset) == (
        "liudong.county-events",
        4,
        1234,
    )
    assert (decoded.raw_length, decoded.raw_sha256, decoded.ids_masked) == (len(value), None, 1)
    assert STANDARD_EXAMPLE not in data.decode()


def test_the_largest_dead_letter_fits_its_topic() -> None:
    worst = record(
        Source("x" * 128, 2**31 - 1, 2**62, AT),
        b"\xff" * (4 * RAW_LIMIT),
        "a" * 128,
        "\U0001f600" * (2 * REASON_LIMIT),  # 4 bytes each in UTF-8
        region_code="610900",
        publisher_id="x" * 128,
    )
    size = len(encode(worst))
    assert size < 2 * RAW_LIMIT + 4 * REASON_LIMIT + 2048
    assert size < topics.DEAD_LETTERS.max_message_bytes(DEFAULT_MAX_BYTES)
    assert json.loads(encode(worst))["raw_length"] == 4 * RAW_LIMIT
