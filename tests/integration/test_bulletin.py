"""``liudong bulletin`` on a real log: the seeded simulator through a real worker.

* the same positions give byte-identical HTML, even after the log moved on;
* ``--verify`` holds for an untouched bulletin, and names a changed weight file and a
  changed log (the topic deleted and written again with one record different);
* the PDF: Chromium prints it with the CJK fonts embedded; the same inputs give the same
  bytes; poppler reads it back (pdftoppm pages, pdftotext naming the league's first county,
  pdfdetach listing the HTML it carries); ``--verify`` checks it.

Pages are saved as tests/artifacts/bulletin-*.png to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from agents import assessment_config as cfg
from contracts import divisions
from disclosure.bulletin import content, log_reader, positions, verify
from disclosure.bulletin.inputs import extract
from tests.integration import bulletin_log
from tests.integration.bulletin_log import QUARTER, SimulatedLog

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
async def simulated(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> SimulatedLog:
    return await bulletin_log.simulated_log(kafka_bootstrap, tmp_path_factory.mktemp("bulletin"))


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    return done.stdout


def poppler(*argv: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(argv[0]) is None:
        pytest.fail(f"{argv[0]} is missing: ./infra/bin/bootstrap installs poppler-utils")
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)


def to_png(pdf: Path, prefix: Path) -> list[Path]:
    """The PDF's pages as PNG files (pdftoppm), in order."""
    poppler("pdftoppm", "-r", "60", "-png", str(pdf), str(prefix))
    return sorted(prefix.parent.glob(f"{prefix.name}-*.png"))


async def test_the_same_positions_give_the_same_bytes_and_verify_holds(
    simulated: SimulatedLog, tmp_path: Path
) -> None:
    first = tmp_path / "first.html"
    ok(simulated.cli("bulletin", "--period", QUARTER, str(first)))
    stated = extract(first.read_text("utf-8"))
    at = positions.text(stated.positions)
    assert stated.positions["obligations"] != (0, 0, 0)

    # The log moves on: a record lands after the positions the bulletin read.
    producer = AIOKafkaProducer(bootstrap_servers=simulated.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{simulated.prefix}.alerts", value=b'{"not": "an event"}', partition=0
        )
    finally:
        await producer.stop()

    second = tmp_path / "second.html"
    ok(simulated.cli("bulletin", "--period", QUARTER, "--at-position", at, str(second)))
    assert second.read_bytes() == first.read_bytes()
    moved = tmp_path / "moved.html"
    ok(simulated.cli("bulletin", "--period", QUARTER, str(moved)))
    assert (
        extract(moved.read_text("utf-8")).positions["alerts"][0]
        == stated.positions["alerts"][0] + 1
    )

    verified = ok(simulated.cli("bulletin", "--verify", str(first)))
    assert "verified: every check is the same" in verified
    assert "  log: same:" in verified


async def test_verify_names_a_changed_weight_file(simulated: SimulatedLog, tmp_path: Path) -> None:
    out = tmp_path / "b.html"
    ok(simulated.cli("bulletin", "--period", QUARTER, str(out)))
    weights = tmp_path / "other.toml"
    shipped = cfg.DEFAULT_PATH.read_text("utf-8")
    weights.write_text(shipped.replace("origin = 1\n", "origin = 3\n", 1), "utf-8")
    done = simulated.cli("bulletin", "--verify", str(out), "--config", str(weights))
    assert done.returncode == 1, done.stderr
    assert "  weight file: DIFFERS: the bulletin states sha256" in done.stdout
    assert "  log: same" in done.stdout
    assert "verified: differs in weight file" in done.stdout


async def test_verify_names_a_changed_log(simulated: SimulatedLog, tmp_path: Path) -> None:
    copy = f"{simulated.prefix}-copy"
    await bulletin_log.copy_log(simulated.bootstrap, simulated.prefix, copy)
    out = tmp_path / "copy.html"
    ok(simulated.cli("bulletin", "--period", QUARTER, str(out), prefix=copy))
    assert "verified: every check is the same" in ok(
        simulated.cli("bulletin", "--verify", str(out))
    )

    # The obligations topic is replaced under the same name: the same number of records,
    # one of them different (one obligation's record written twice, another's dropped).
    rows = await bulletin_log.records(simulated.bootstrap, f"{copy}.obligations")
    partition = max(rows, key=lambda p: len(rows[p]))
    changed = list(rows[partition])
    changed[-1] = changed[0]
    await bulletin_log.recreate(simulated.bootstrap, copy, "obligations")
    await bulletin_log.write(
        simulated.bootstrap, f"{copy}.obligations", {**rows, partition: changed}
    )
    done = simulated.cli("bulletin", "--verify", str(out))
    assert done.returncode == 1, done.stderr
    assert "  log: DIFFERS: the records up to the stated positions are not the ones" in done.stdout
    assert f"bulletin read: obligations partition {partition}" in done.stdout
    assert "  weight file: same" in done.stdout


async def test_the_pdf_is_printed_with_its_fonts_read_back_and_verified(
    simulated: SimulatedLog, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    out = tmp_path / "bulletin.pdf"
    ok(simulated.cli("bulletin", "--period", QUARTER, str(out)))
    stated = extract(verify.document_html(out.read_bytes())[0])
    again = tmp_path / "again.pdf"
    at = positions.text(stated.positions)
    ok(simulated.cli("bulletin", "--period", QUARTER, "--at-position", at, str(again)))
    assert again.read_bytes() == out.read_bytes(), "the same inputs print the same PDF"

    info = poppler("pdfinfo", str(out)).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    # Chromium's Skia embeds the CFF-outline Noto CJK glyphs as Type 3 fonts: every font is
    # in the file (emb) with a Unicode map (uni), so no reader needs a CJK font of its own.
    fonts = poppler("pdffonts", str(out)).stdout.splitlines()[2:]
    assert fonts
    assert all(re.search(r"\byes\s+\S+\s+yes\s+\d+\s+\d+$", line) for line in fonts), fonts
    pngs = to_png(out, tmp_path / "page")
    assert len(pngs) == pages >= 3
    for i, png in enumerate(pngs[:3], start=1):
        shutil.copy(png, ARTIFACTS / f"bulletin-page-{i}.png")

    log = await log_reader.read(simulated.bootstrap, simulated.prefix, stated.positions)
    league = content.compute(log, QUARTER, cfg.load(), region=stated.region, scope="region").league
    assert league.ranked, "the quarter ranks some of the region's counties"
    first = league.ranked[0].county
    division = divisions.county(first)
    assert division is not None
    text = poppler("pdftotext", "-layout", str(out), "-").stdout
    assert division.name in text
    assert "双向考核排名" in text
    assert "不参评" in text or len(league.ranked) == len(league.standings)
    first_page = poppler("pdftotext", "-f", "1", "-l", "1", "-layout", str(out), "-").stdout
    (ARTIFACTS / "bulletin-page-1.txt").write_text(first_page, "utf-8")
    assert "通" in first_page
    assert "关于2026年第1季度流动人口双向考核结果的通报" in first_page.replace(" ", "")

    attached = poppler("pdfdetach", "-list", str(out)).stdout
    assert "bulletin.html" in attached
    verified = ok(simulated.cli("bulletin", "--verify", str(out)))
    assert "  pdf: same: byte-identical to a fresh print of the same HTML" in verified


async def test_a_period_not_closed_and_positions_beyond_the_log_are_one_line(
    simulated: SimulatedLog, tmp_path: Path
) -> None:
    done = simulated.cli("bulletin", "--period", "2026-Q3", str(tmp_path / "q3.html"))
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: no bulletin for 2026-Q3 yet: it closes at")
    beyond = "obligations=999999999,0,0/alerts=0,0,0/validated=0,0,0"
    done = simulated.cli(
        "bulletin", "--period", QUARTER, "--at-position", beyond, str(tmp_path / "x.html")
    )
    assert done.returncode == 1
    assert "not the log the positions were taken from" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = simulated.cli(
        "bulletin",
        "--period",
        QUARTER,
        "--at-position",
        "obligations=1/alerts=1/validated=1",
        str(tmp_path / "y.html"),
    )
    assert done.returncode == 1
    assert "partition(s), the positions name 1" in done.stderr


def test_no_broker_at_the_address_is_one_line(tmp_path: Path) -> None:
    log = SimulatedLog("127.0.0.1:1", "nowhere", tmp_path)
    done = log.cli("bulletin", "--period", QUARTER, str(tmp_path / "b.html"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "error: cannot read the log at 127.0.0.1:1" in done.stderr
