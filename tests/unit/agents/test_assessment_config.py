"""The assessment weight file (validated on load, one-line errors) and the scoring formula."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agents import assessment_config as cfg
from contracts.league import Scores

DEFAULT_TEXT = cfg.DEFAULT_PATH.read_text(encoding="utf-8")


def test_the_default_file_names_every_indicator_of_both_sides() -> None:
    config = cfg.load()
    for side in cfg.SIDES:
        assert set(getattr(config, side)) == set(cfg.names(side))
    assert "receipt_rate" in cfg.names("origin")
    assert "receipt_rate" not in cfg.names("destination")
    assert "service_coverage" in cfg.names("destination")
    assert config.close_after_days == 1.0


def _replace(old: str, new: str) -> str:
    assert old in DEFAULT_TEXT
    return DEFAULT_TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("close_after_days = [", "not valid TOML"),
        (_replace("[sides]\norigin = 1", "[sides]\norigin = 0"), "sides.origin"),
        (
            _replace("receipt_rate = { weight = 12", "receipt_rat = { weight = 12"),
            "[origin] unknown indicator 'receipt_rat'",
        ),
        (
            _replace("service_coverage = { weight = 12, target = 0.8, floor = 0.2 }\n", ""),
            "[destination] indicator 'service_coverage' is missing",
        ),
        (
            _replace(
                "breaches = { weight = 10, target = 0.05, floor = 0.5 }",
                "breaches = { weight = 10, target = 0.5, floor = 0.05 }",
            ),
            "[origin.breaches] needs target < floor (lower is better)",
        ),
        (
            _replace(
                "registration_coverage = { weight = 15, target = 0.95, floor = 0.5 }",
                "registration_coverage = { weight = 15, target = 0.5, floor = 0.95 }",
            ),
            "[origin.registration_coverage] needs floor < target",
        ),
        (_replace("weight = 15", "weight = -1"), "origin.registration_coverage.weight"),
        (_replace("weight = 15", 'weight = "heavy"'), "origin.registration_coverage.weight"),
        (_replace("target = 0.95", "target = 1.5"), "origin.registration_coverage.target"),
        ("bonus = 3\n" + DEFAULT_TEXT, "bonus: Extra inputs are not permitted"),
        (
            DEFAULT_TEXT + "\nbonus = 3\n",
            "destination.bonus: Input should be a valid dictionary",
        ),
        (_replace("close_after_days = 1", "close_after_days = -2"), "close_after_days"),
    ],
)
def test_bad_files_give_one_clear_line(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "weights.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(cfg.ConfigError) as raised:
        cfg.load(path)
    line = str(raised.value)
    assert line.startswith(f"{path}: ")
    assert message in line
    assert "\n" not in line


def test_every_weight_zero_on_a_side_is_refused() -> None:
    origin_part, destination_part = DEFAULT_TEXT.split("[destination]")
    zeroed = re.sub(r"weight = \d+", "weight = 0", origin_part)
    with pytest.raises(cfg.ConfigError, match=r"\[origin\] needs at least one indicator"):
        cfg.parse(zeroed + "[destination]" + destination_part)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(cfg.ConfigError, match="no such file"):
        cfg.load(tmp_path / "absent.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(cfg.ConfigError, match="cannot read"):
        cfg.load(binary)


# --- scoring -----------------------------------------------------------------------------------


def test_indicator_score_is_linear_between_floor_and_target() -> None:
    rule = cfg.Rule(weight=1, target=0.9, floor=0.5)
    assert cfg.indicator_score(0, 0, rule, "higher") is None
    assert cfg.indicator_score(9, 10, rule, "higher") == 100.0
    assert cfg.indicator_score(10, 10, rule, "higher") == 100.0
    assert cfg.indicator_score(5, 10, rule, "higher") == 0.0
    assert cfg.indicator_score(7, 10, rule, "higher") == pytest.approx(50.0)
    lower = cfg.Rule(weight=1, target=0.1, floor=0.5)
    assert cfg.indicator_score(0, 10, lower, "lower") == 100.0
    assert cfg.indicator_score(1, 10, lower, "lower") == 100.0
    assert cfg.indicator_score(3, 10, lower, "lower") == pytest.approx(50.0)
    assert cfg.indicator_score(6, 10, lower, "lower") == 0.0


def test_side_and_combined_scores_skip_what_does_not_apply() -> None:
    config = cfg.load()
    # Three origin indicators apply: weights 15 (registration coverage), 12 (receipts) and
    # 10 (feedback, whose 10 settled obligations make the side assessed).
    figures = {
        ("origin", "registration_coverage"): (95, 100),  # 100 points
        ("origin", "receipt_rate"): (7, 10),  # 50 points (floor 0.5, target 0.9)
        ("origin", "feedback_rate"): (9, 10),  # 100 points
    }
    s = cfg.scores(figures, config)
    assert s.origin == round((15 * 100 + 12 * 50 + 10 * 100) / 37, 2)
    assert s.destination is None
    assert s.combined == s.origin
    figures[("destination", "breaches")] = (5, 10)  # 0.5: at the floor, 0 points
    figures[("destination", "feedback_rate")] = (10, 10)  # 100 points
    s = cfg.scores(figures, config)
    assert s.destination == round((10 * 0 + 10 * 100) / 20, 2)
    assert s.combined == round(((s.origin or 0) + (s.destination or 0)) / 2, 2)
    assert cfg.scores({}, config) == Scores(None, None, None)


def test_a_side_is_assessed_only_on_enough_settled_obligations_of_its_own() -> None:
    config = cfg.load()
    assert config.min_settled_obligations == 5  # the shipped default
    four = {("origin", "feedback_rate"): (4, 4), ("origin", "breaches"): (0, 4)}
    assert cfg.settled(four, "origin") == 4
    assert cfg.scores(four, config) == Scores(None, None, None)
    five = {("origin", "feedback_rate"): (5, 5), ("origin", "breaches"): (0, 5)}
    assert cfg.scores(five, config) == Scores(100.0, None, 100.0)
    # Agreement coverage and partner breaches are not duties: alone they score no side.
    others = {
        ("origin", "agreement_coverage"): (32, 35),
        ("destination", "partner_breaches"): (0, 40),
        ("destination", "registration_coverage"): (9, 9),
    }
    assert cfg.scores(others, config) == Scores(None, None, None)
    lenient = cfg.parse(
        (cfg.DEFAULT_PATH.read_text(encoding="utf-8")).replace(
            "min_settled_obligations = 5", "min_settled_obligations = 4"
        )
    )
    assert cfg.scores(four, lenient) == Scores(100.0, None, 100.0)


@pytest.mark.parametrize("value", ["0", "-1", "1.5", '"five"'])
def test_the_minimum_is_a_positive_whole_number(value: str) -> None:
    text = cfg.DEFAULT_PATH.read_text(encoding="utf-8").replace(
        "min_settled_obligations = 5", f"min_settled_obligations = {value}"
    )
    with pytest.raises(cfg.ConfigError, match="min_settled_obligations"):
        cfg.parse(text)


def test_every_indicator_has_its_words_in_both_languages_and_no_others() -> None:
    from contracts.words.assessment import INDICATORS

    assert set(INDICATORS) == {i.name for i in cfg.INDICATORS}
    for name, (zh, en) in INDICATORS.items():
        assert zh, name
        assert en.isascii(), name
        assert not zh.isascii(), name
    assert INDICATORS["breaches"][0] == "逾期率"  # the vocabulary's 逾期, not 超时
