"""``liudong replay``'s bad command lines: one line on stderr and exit 2, never a traceback;
a signed record that does not check out: one line and exit 1. Nothing here reaches Kafka."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.replay import report
from entrypoints.cli import main
from streams import signing


@pytest.fixture(autouse=True)
def no_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIUDONG_HOME", str(tmp_path))
    monkeypatch.setenv("LIUDONG_KAFKA_BOOTSTRAP", "127.0.0.1:1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--at-position", "0-120"], "is not PARTITION:OFFSET"),
        (["--at-position", "0:1,0:2"], "partition 0 is given twice"),
        (["--workers", "0"], "must be positive"),
        (["--workers", "two"], "is not a whole number"),
        (["--wait", "-1"], "must be 0 or more seconds"),
        (["--wait", "nan"], "must be 0 or more seconds"),
        (["--as-of", "yesterday"], "is not an ISO 8601 instant"),
        (["--as-of", "2026-03-01T00:00"], "needs a time zone"),
        (["--as-of", "2026-03-01T00:00Z", "--at-position", "0:1"], "not allowed with argument"),
        (["--county", "999999"], "not a current GB/T 2260 county-level code"),
        (["--derived-prefix", "a b", "--verify"], "is not a topic prefix"),
        (["--format", "xml"], "invalid choice"),
    ],
)
def test_bad_values_are_refused_by_the_parser(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--report", "r.json"], "error: --report records a verification: add --verify"),
        (["--recompute"], "error: --recompute goes with --check-report FILE"),
        (["--derived-prefix", "copy"], "error: --derived-prefix names the live topics"),
        (
            ["--check-report", "r.json", "--verify", "--county", "610902"],
            "error: --check-report reads a record made earlier: drop --verify, --county",
        ),
        (["--county", "610902", "--verify"], "error: --county shows one county's snapshot"),
        (["--config", "absent.toml"], "absent.toml: no such file"),
        (["--check-report", "absent.json"], "error: absent.json: no such file"),
    ],
)
def test_combinations_that_mean_nothing_are_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["replay", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ")
    assert message in err
    assert len(err.splitlines()) == 1


def test_a_record_needs_the_region_key_before_anything_is_replayed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["replay", "--verify", "--report", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: key file {tmp_path}/keys/region.pem does not exist: the record is signed "
        "with the region's key"
    )


def test_a_record_checks_out_under_the_region_key_and_an_edited_one_does_not(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Ed25519PrivateKey.generate()
    monkeypatch.setenv("LIUDONG_REGION_PUBLIC_KEY", signing.public_key_b64(key))
    doc = {"kind": report.KIND, "version": report.VERSION, "ok": True, "position": {"0": 3}}
    good = tmp_path / "good.json"
    report.write(good, report.sign(doc, key, "610900/region"))
    assert main(["replay", "--check-report", str(good)]) == 0
    assert "signature valid" in capsys.readouterr().out

    edited = json.loads(good.read_text(encoding="utf-8"))
    edited["position"] = {"0": 4}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(edited), encoding="utf-8")
    assert main(["replay", "--check-report", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err == f"error: {bad}: the signature does not verify: the record was changed after signing"
    )
