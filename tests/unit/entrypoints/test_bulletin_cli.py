"""Bad ``liudong bulletin`` and ``liudong public`` command lines: one line on stderr and
exit 2, before any broker is asked (none is running here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.cli import main


@pytest.fixture(autouse=True)
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LIUDONG_PUBLIC_PAGE", "LIUDONG_KAFKA_BOOTSTRAP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIUDONG_HOME", str(tmp_path / "home"))


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    try:
        code = main(argv)
    except SystemExit as exited:  # argparse's own errors
        code = int(exited.code or 0)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bulletin"], "needs --period P and OUT"),
        (["bulletin", "--period", "2026-Q1"], "needs --period P and OUT"),
        (["bulletin", "--period", "2026-13", "b.html"], "is not a period"),
        (["bulletin", "--period", "2026", "b.html"], "is a year"),
        (["bulletin", "--period", "2026-Q1", "--lang", "fr", "b.html"], "invalid choice"),
        (["bulletin", "--period", "2026-Q1", "--format", "doc", "b.html"], "invalid choice"),
        (["bulletin", "--period", "2026-Q1", "--scope", "world", "b.html"], "invalid choice"),
        (
            ["bulletin", "--period", "2026-Q1", "--at-position", "obligations=1", "b.html"],
            "positions for alerts, validated are missing",
        ),
        (["bulletin", "--period", "2026-Q1", "--office", " ", "b.html"], "the office is a name"),
        (["bulletin", "--verify", "b.html", "--period", "2026-Q1"], "takes only --config"),
        (["bulletin", "--verify", "b.html", "out.html"], "takes only --config"),
        (["bulletin", "--period", "2026-Q1", "/no/such/folder/b.html"], "is not a directory"),
        (["bulletin", "--period", "2026-Q1", "--config", "/no/w.toml", "b.html"], "no such file"),
        (["bulletin", "--verify", "/no/such/bulletin.html"], "cannot read"),
        (["public"], "the public page is switched off"),
        (["public", "--port", "70000"], "is not a port number"),
    ],
)
def test_bad_command_lines(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert message in one_line_error(capsys, argv)


def test_verifying_a_file_that_is_no_bulletin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body>a page</body></html>")
    assert "not a liudong bulletin" in one_line_error(capsys, ["bulletin", "--verify", str(page)])
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert "carries no bulletin HTML" in one_line_error(capsys, ["bulletin", "--verify", str(fake)])


def test_a_bad_weight_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    weights = tmp_path / "w.toml"
    weights.write_text("min_settled_obligations = 0\n")
    err = one_line_error(capsys, ["bulletin", "--period", "2026-Q1", "--config", str(weights), "b"])
    assert str(weights) in err


def test_the_public_page_refuses_a_bad_suppression_threshold(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIUDONG_PUBLIC_PAGE", "on")
    monkeypatch.setenv("LIUDONG_PUBLIC_SUPPRESS_BELOW", "1")
    assert "bad LIUDONG_* setting" in one_line_error(capsys, ["public"])
