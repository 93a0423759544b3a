"""Two-way assessment (双向考核): the indicator catalog, the weight file and the scoring formula.

The seed asks for "scientifically set content, standards and weights": the content is the
catalog below (what each indicator counts is in :mod:`agents.assessment_rules` and
``docs/assessment.md``), the standards and weights are a TOML file validated on load
(``contracts/data/assessment.toml`` by default). Scoring is pure.

Score of one indicator: its ratio ``numerator / denominator`` mapped linearly from ``floor``
(0 points) to ``target`` (100 points); for a lower-is-better indicator the same with the
ratio's direction reversed. An indicator with a zero denominator does not apply and drops
out. A side is assessed only when the county settled at least ``min_settled_obligations``
obligations of its own on that side (the denominator of ``feedback_rate``, which counts
every one); otherwise the side is not assessed (不参评) and has no score, never 0 or 100, so
that indicators which are not duties (agreement coverage, partner breaches) never score a
side by themselves. A side's score is the weighted mean of its applicable indicators, the
combined score the side-weighted mean of the sides assessed. Scores are rounded to two
decimals so that the figures published are stable across platforms. Ranks and the region
average are the league's (:mod:`contracts.league`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.league import Scores

Side = Literal["origin", "destination"]
Better = Literal["higher", "lower"]
SIDES: tuple[Side, Side] = ("origin", "destination")
BOTH: tuple[Side, ...] = SIDES

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "contracts" / "data" / "assessment.toml"


@dataclass(frozen=True, slots=True)
class Indicator:
    name: str
    sides: tuple[Side, ...]
    better: Better  # its words: contracts.words.assessment.INDICATORS


INDICATORS: tuple[Indicator, ...] = (
    Indicator("registration_coverage", BOTH, "higher"),
    Indicator("registration_timeliness", BOTH, "higher"),
    Indicator("certificate_answers_on_time", BOTH, "higher"),
    Indicator("inquiry_answers_on_time", BOTH, "higher"),
    Indicator("feedback_rate", BOTH, "higher"),
    Indicator("receipt_rate", ("origin",), "higher"),
    Indicator("service_coverage", ("destination",), "higher"),
    Indicator("verification_on_time", BOTH, "higher"),
    Indicator("breaches", BOTH, "lower"),
    Indicator("escalations", BOTH, "lower"),
    Indicator("partner_breaches", BOTH, "lower"),
    Indicator("agreement_coverage", BOTH, "higher"),
)
BY_NAME: dict[str, Indicator] = {i.name: i for i in INDICATORS}
# Its denominator is every settled obligation a county was responsible for on a side: the
# sample the minimum applies to.
SETTLED_DUTIES = "feedback_rate"


def names(side: Side) -> tuple[str, ...]:
    return tuple(i.name for i in INDICATORS if side in i.sides)


class ConfigError(ValueError):
    """A bad weight file; the message is one line, ready for the CLI to print."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Rule(_Model):
    """Weight and thresholds of one indicator on one side; thresholds are ratios in [0, 1]."""

    weight: float = Field(ge=0, le=1000, strict=False)
    target: float = Field(ge=0, le=1, strict=False)  # this ratio or better: 100 points
    floor: float = Field(ge=0, le=1, strict=False)  # this ratio or worse: 0 points


class SideWeights(_Model):
    origin: float = Field(gt=0, le=1000, strict=False)
    destination: float = Field(gt=0, le=1000, strict=False)


class AssessmentConfig(_Model):
    # A period's first scorecard waits until event time is this far past the period's end,
    # so that partitions a little behind do not show up as late events.
    close_after_days: float = Field(default=1.0, ge=0, le=366, strict=False)
    # A side is assessed only with at least this many settled obligations of its own.
    min_settled_obligations: int = Field(default=5, ge=1, le=100_000)
    sides: SideWeights
    origin: dict[str, Rule]
    destination: dict[str, Rule]

    @model_validator(mode="after")
    def _complete(self) -> AssessmentConfig:
        for side in SIDES:
            rules: dict[str, Rule] = getattr(self, side)
            expected = set(names(side))
            unknown = sorted(set(rules) - expected)
            if unknown:
                raise ValueError(f"[{side}] unknown indicator {unknown[0]!r}")
            missing = sorted(expected - set(rules))
            if missing:
                raise ValueError(f"[{side}] indicator {missing[0]!r} is missing")
            for name, rule in rules.items():
                _check_direction(side, name, rule)
            if not any(rule.weight > 0 for rule in rules.values()):
                raise ValueError(f"[{side}] needs at least one indicator with a positive weight")
        return self

    def rule(self, side: Side, name: str) -> Rule:
        rules: dict[str, Rule] = getattr(self, side)
        return rules[name]


def _check_direction(side: Side, name: str, rule: Rule) -> None:
    if BY_NAME[name].better == "higher" and not rule.floor < rule.target:
        raise ValueError(f"[{side}.{name}] needs floor < target (higher is better)")
    if BY_NAME[name].better == "lower" and not rule.target < rule.floor:
        raise ValueError(f"[{side}.{name}] needs target < floor (lower is better)")


def load(path: Path | None = None) -> AssessmentConfig:
    """Read and validate a weight file; any problem raises :class:`ConfigError` (one line)."""
    path = path or DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse(text, source=str(path))


def parse(text: str, *, source: str = "<config>") -> AssessmentConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return AssessmentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    location = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    text = f"{location}: {message}" if location else message
    more = exc.error_count() - 1
    return text + (f" (and {more} more)" if more > 0 else "")


# --- scoring --------------------------------------------------------------------------------


def indicator_score(numerator: int, denominator: int, rule: Rule, better: Better) -> float | None:
    """0-100 for one indicator, or None when it does not apply (nothing to count)."""
    if denominator == 0:
        return None
    ratio = numerator / denominator
    if better == "lower":
        # Mirror the scale: target < floor, and a lower ratio is better.
        ratio, target, floor = 1 - ratio, 1 - rule.target, 1 - rule.floor
    else:
        target, floor = rule.target, rule.floor
    if ratio >= target:
        return 100.0
    if ratio <= floor:
        return 0.0
    return 100.0 * (ratio - floor) / (target - floor)


Figures = Mapping[tuple[str, str], tuple[int, int]]  # (side, indicator) -> (num, den)


def settled(figures: Figures, side: Side) -> int:
    """How many obligations of its own the county settled on ``side``."""
    return figures.get((side, SETTLED_DUTIES), (0, 0))[1]


def assessed(figures: Figures, side: Side, config: AssessmentConfig) -> bool:
    return settled(figures, side) >= config.min_settled_obligations


def side_score(figures: Figures, side: Side, config: AssessmentConfig) -> float | None:
    """Weighted mean over the side's applicable indicators; None when the side is not
    assessed (too few settled obligations of its own) or no weighted indicator applies."""
    if not assessed(figures, side, config):
        return None
    total = weights = 0.0
    for name in names(side):
        rule = config.rule(side, name)
        numerator, denominator = figures.get((side, name), (0, 0))
        score = indicator_score(numerator, denominator, rule, BY_NAME[name].better)
        if score is None or rule.weight == 0:
            continue
        total += rule.weight * score
        weights += rule.weight
    return round(total / weights, 2) if weights else None


def scores(figures: Figures, config: AssessmentConfig) -> Scores:
    origin = side_score(figures, "origin", config)
    destination = side_score(figures, "destination", config)
    parts = [
        (w, s)
        for w, s in ((config.sides.origin, origin), (config.sides.destination, destination))
        if s is not None
    ]
    weights = sum(w for w, _ in parts)
    combined = round(sum(w * s for w, s in parts) / weights, 2) if weights else None
    return Scores(origin, destination, combined)
