"""The soak benchmark's arguments and its pure verdicts (the soak itself is not a test)."""

from __future__ import annotations

import pytest

from benchmarks.soak import Sample, bounded, growth_per_thousand, scenario_for
from entrypoints.cli import build_parser


@pytest.mark.parametrize("minutes", ["0", "-1", "abc", "nan", "inf", "1441"])
def test_bad_minutes_is_one_line_and_exit_2(
    minutes: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["bench", "soak", "--minutes", minutes])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "--minutes" in err


def test_soak_arguments_and_plain_bench_still_parse() -> None:
    args = build_parser().parse_args(["bench", "soak", "--minutes", "2.5", "--rate", "80"])
    assert (args.bench_action, args.minutes, args.rate, args.sample_every) == (
        "soak",
        2.5,
        80.0,
        10.0,
    )
    plain = build_parser().parse_args(["bench", "--quick"])
    assert (plain.bench_action, plain.quick) == (None, True)


def test_bounded_compares_the_last_third_with_the_first() -> None:
    assert bounded([100, 110, 105, 108, 112, 111], 1.25).bounded is True
    grown = bounded([100, 110, 105, 150, 170, 200], 1.25)
    assert (grown.bounded, grown.first_max, grown.last_max, grown.limit) == (
        False,
        110,
        200,
        137.5,
    )
    assert bounded([0, 3, 0, 5, 40, 2], 1.5, floor=500).bounded is True  # under the floor
    assert bounded([None, 1, None], 1.5).bounded is None  # too few to tell


def test_growth_per_thousand_events_after_warm_up() -> None:
    samples = [Sample(float(i), 0, i * 1000, 0, 50_000 + 100 * i) for i in range(9)]
    assert growth_per_thousand(samples) == pytest.approx(100.0)
    assert growth_per_thousand(samples[:2]) is None


def test_the_scenario_outlasts_the_soak() -> None:
    config = scenario_for(50.0, 10.0)
    assert config.persons * 4 >= 50 * 600
