"""``liudong contract check``: a county's export or signed messages, checked offline with the
gate's own decision; every problem with its line number and reason code."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.events.migration import OutflowRegistered
from contracts.identity import check_char
from entrypoints.cli import main
from streams import codec
from streams.county_node import CountyNode
from streams.keys import generate_key_file

COUNTY = "610902"
OTHER = "440306"


def national_id(n: int) -> str:
    first17 = f"61090219800101{n:03d}"
    return first17 + check_char(first17)


def outflow(n: int = 1, **changes: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "event_type": "outflow_registered",
        "occurred_at": "2026-02-01T08:00:00+08:00",
        "national_id": national_id(n),
        "origin_county": COUNTY,
        "destination_county": OTHER,
        "reason": "work",
    }
    line.update(changes)
    return line


def write(tmp_path: Path, *lines: dict[str, Any] | str) -> str:
    path = tmp_path / "export.jsonl"
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["contract", "check", "--county", COUNTY, *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def signed_line(key: Ed25519PrivateKey, **changes: Any) -> str:
    node = CountyNode(
        county=COUNTY, private_key=key, person_key_secret=b"s", bootstrap_servers="unused"
    )
    event = node.build(
        OutflowRegistered,
        occurred_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        person_key="ab" * 32,
        origin_county=COUNTY,
        destination_county=OTHER,
    )
    obj = json.loads(codec.encode(event))
    obj.update(changes)
    return json.dumps(obj)


def test_a_clean_export_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, write(tmp_path, outflow(1), outflow(2)))
    assert (code, out) == (0, [])
    assert err == "export.jsonl: 2 lines, 2 would be admitted, 0 duplicates, 0 problems\n"


def test_each_problem_has_its_line_and_the_gates_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(
        tmp_path,
        outflow(1),
        "{broken",
        outflow(2, event_type="outflow_registred"),
        outflow(national_id="610902198001010010"),
        outflow(3, origin_county=OTHER, destination_county=COUNTY),
        outflow(4, destination_county="999999"),
        outflow(1),  # the first line again: dropped as a duplicate, not a problem
    )
    code, out, err = run(capsys, source)
    assert code == 1
    assert out == [
        "line 2: malformed_json: not JSON: Expecting property name enclosed in double quotes "
        "at column 2",
        "line 3: unknown_event_type: unknown or unpublishable event_type 'outflow_registred'",
        "line 4: invalid_national_id: national ID check digit is '0', GB 11643 requires '9'",
        f"line 5: not_a_party: outflow_registered must come from {OTHER}, not {COUNTY}",
        "line 6: invalid_fields: destination_county: Value error, 999999 is not a current "
        "GB/T 2260 county-level code",
        "line 7: duplicate of line 1 (would be dropped)",
    ]
    assert err.endswith("7 lines, 1 would be admitted, 1 duplicates, 5 problems\n")


def test_a_department_is_checked_against_its_scope(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inflow = outflow(event_type="inflow_registered")
    del inflow["reason"]
    source = write(tmp_path, outflow(1), inflow)
    code, out, _ = run(
        capsys, "--publisher", f"{COUNTY}/police", "--scope", "outflow_registered", source
    )
    assert code == 1
    assert out == [f"line 2: out_of_scope: {COUNTY}/police may not publish inflow_registered"]


def test_signed_messages_are_checked_with_the_publishers_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "node.pem"
    key = generate_key_file(key_file)
    source = write(
        tmp_path,
        signed_line(key),
        signed_line(key, destination_county="610921"),  # changed after signing
        signed_line(key, schema_version=3),
    )
    code, out, _ = run(capsys, "--key", str(key_file), source)
    assert code == 1
    assert out == [
        f"line 2: bad_signature: signature does not verify with {COUNTY}/node's key",
        "line 3: unsupported_schema_version: outflow_registered is at schema version 2 "
        "(accepted: 1, 2); got 3",
    ]


def test_without_the_key_a_bad_signature_says_to_give_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, write(tmp_path, signed_line(Ed25519PrivateKey.generate())))
    assert code == 1
    assert out == [
        f"line 1: bad_signature: signature does not verify with {COUNTY}/node's key (give "
        "--key: a signed message is checked with the publisher's key)"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/export.jsonl"], "error: cannot read /nonexistent/export.jsonl:"),
        (
            ["--publisher", "610921/police", "-"],
            "error: cannot check as 610921/police: publisher ids of 610902 look like 610902/<name>",
        ),
        (["--key", "/nonexistent.pem", "-"], "error: key file /nonexistent.pem does not exist"),
    ],
)
def test_what_cannot_be_checked_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == []
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_a_bad_county_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["contract", "check", "--county", "999999", "-"])
    assert exited.value.code == 2
    assert "is not a current GB/T 2260 county-level code" in capsys.readouterr().err
