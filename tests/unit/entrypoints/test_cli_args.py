"""Bad command lines get one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: command"),
        (["teleport"], "invalid choice"),
        (
            ["publish", "--county", "999999", "--key", "k.pem"],
            "not a current GB/T 2260 county-level code",
        ),
        (["publish", "--key", "k.pem"], "--county"),
        (["kafka", "start", "--nodes", "2"], "invalid choice"),
        (["demo", "--duration", "soon"], "invalid float value"),
        (["campaign"], "the following arguments are required: action"),
        (["campaign", "close"], "the following arguments are required: --id"),
        (["campaign", "extend", "--id", "c1", "--deadline", "next week"], "--deadline"),
        (
            [
                "campaign",
                "open",
                "--id",
                "c1",
                "--counties",
                "610902,999999",
                "--start",
                "2026-01-01T00:00Z",
                "--end",
                "2026-02-01T00:00Z",
                "--deadline",
                "2026-03-01T00:00Z",
            ],
            "not a current GB/T 2260 county-level code",
        ),
        (
            [
                "campaign",
                "open",
                "--id",
                "c1",
                "--counties",
                "610902",
                "--start",
                "2026-01-01T00:00Z",
                "--end",
                "2026-02-01T00:00Z",
                "--deadline",
                "2026-03-01T00:00Z",
                "--checks",
                "lost_contact,ghosts",
            ],
            "checks are some of",
        ),
        (["campaign", "status", "--format", "xml"], "invalid choice"),
    ],
)
def test_bad_arguments(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_missing_key_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIUDONG_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("LIUDONG_HOME", str(tmp_path))
    code = main(["publish", "--county", "610902", "--key", f"{tmp_path}/absent.pem", "-"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: key file {tmp_path}/absent.pem does not exist"


def test_keys_generate_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = f"{tmp_path}/k.pem"
    assert main(["keys", "generate", path]) == 0
    public = capsys.readouterr().out.strip()
    assert len(public) == 44
    assert main(["keys", "generate", path]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
