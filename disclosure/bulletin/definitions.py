"""What each indicator of the two-way assessment is called and counts, and the general
rules, in words for readers outside the offices (``docs/assessment.md`` is the authority; this
is its public wording). Indicator names are the
assessment's words (:data:`contracts.words.assessment.INDICATORS`); the
obligation words (办结, 逾期, 上报督办, and 已计分 for what the scores count) and the kinds'
names are the vocabulary's (:mod:`contracts.obligation_vocabulary`,
:mod:`contracts.words.obligations`).
"""

from __future__ import annotations

from types import MappingProxyType

from agents.assessment_config import Side
from contracts import obligation_vocabulary as vocabulary
from contracts.languages import Lang, pick
from contracts.words.assessment import INDICATORS
from contracts.words.table import word


def indicator(name: str, lang: Lang) -> str:
    """The indicator's name in one language: ``登记覆盖率`` or ``registration coverage``."""
    return word(INDICATORS, name, lang)


# What each indicator counts, per side: (denominator, numerator), Chinese then English.
DEFINITION: MappingProxyType[tuple[Side, str], tuple[tuple[str, str], tuple[str, str]]] = (
    MappingProxyType(
        {
            ("origin", "registration_coverage"): (
                (
                    "分母：义务记录反映的离开本县的流动，即以本县为对方的流入登记（接收）义务（本县"
                    "登记了流出）加上本县负责的流出地核实（流入地先登记了此人），不论是否已计分",
                    "flows leaving the county that obligations show: arrival registrations "
                    "naming it as counterpart (it registered the outflow) plus origin "
                    "confirmations it is responsible for, settled or not",
                ),
                (
                    "分子：其中的流入登记（接收）义务（本县已登记流出的）",
                    "the arrival registrations among them",
                ),
            ),
            ("destination", "registration_coverage"): (
                (
                    "分母：以本县为对方的流出地核实（本县自行登记了流入），加上本县负责的已计分"
                    "流入登记（接收）",
                    "origin confirmations naming it as counterpart (it registered the inflow "
                    "itself) plus settled arrival registrations it is responsible for",
                ),
                (
                    "分子：流出地核实，加上已办结的流入登记（接收）义务（已登记或报告查无此人）",
                    "the origin confirmations plus the fulfilled arrival registrations",
                ),
            ),
            ("origin", "registration_timeliness"): (
                (
                    "分母：本县负责的已计分流出地核实和接续管理（返乡接管）",
                    "settled origin confirmations and case takeovers it is responsible for",
                ),
                ("分子：其中按时办结的", "those fulfilled on time"),
            ),
            ("destination", "registration_timeliness"): (
                (
                    "分母：本县负责的已计分流入登记（接收）和接续管理",
                    "settled arrival registrations and case takeovers it is responsible for",
                ),
                ("分子：其中按时办结的", "those fulfilled on time"),
            ),
            ("origin", "certificate_answers_on_time"): (
                (
                    "分母：本县负责的已计分证明查验类协查回复",
                    "settled answers to certificate checks it is responsible for",
                ),
                ("分子：其中按时答复的", "those answered on time"),
            ),
            ("origin", "inquiry_answers_on_time"): (
                (
                    "分母：本县负责的已计分其他协查回复（紧急及其他）",
                    "settled answers to other inquiries (urgent and other)",
                ),
                ("分子：其中按时答复的", "those answered on time"),
            ),
            ("origin", "feedback_rate"): (
                (
                    "分母：本县在该侧负责的全部已计分义务",
                    "every settled obligation it is responsible for on that side",
                ),
                ("分子：其中已办结的（按时或逾期）", "those fulfilled, on time or late"),
            ),
            ("origin", "receipt_rate"): (
                (
                    "分母：本县负责的已计分服务信息签收",
                    "settled receipt acknowledgements it is responsible for",
                ),
                ("分子：其中已签收的（按时或逾期）", "those acknowledged, on time or late"),
            ),
            ("destination", "service_coverage"): (
                (
                    "分母：本期来本县居住的人数（以本县为对方的流出地核实、本县已办结且未报告查无"
                    "此人的流入登记（接收）、本县已办结的接续管理）",
                    "persons who came to live in the county in the period",
                ),
                (
                    "分子：其中本县为之登记过服务的人数",
                    "those for whom it recorded a service",
                ),
            ),
            ("origin", "verification_on_time"): (
                (
                    "分母：本县负责的已计分清理清查核查任务",
                    "settled campaign verification tasks it is responsible for",
                ),
                ("分子：其中按时报告结果的", "those reported on time"),
            ),
            ("origin", "breaches"): (
                (
                    "分母：本县在该侧负责的全部已计分义务",
                    "every settled obligation it is responsible for on that side",
                ),
                (
                    "分子：其中逾期的（含逾期后办结的）；越低越好",
                    "those breached, answered late or not; lower is better",
                ),
            ),
            ("origin", "escalations"): (
                ("分母：同逾期率", "as for the breach rate"),
                ("分子：其中已上报督办的；越低越好", "those escalated; lower is better"),
            ),
            ("origin", "partner_breaches"): (
                (
                    "分母：本县作为对方、计入对侧的全部已计分义务（一地问题两地有责）",
                    "every settled obligation on which it is the counterpart, counted on the "
                    "other side",
                ),
                (
                    "分子：其中对方县逾期的；越低越好",
                    "those the responsible county breached; lower is better",
                ),
            ),
            ("origin", "agreement_coverage"): (
                (
                    "分母：离开本县的流动（流出、注明本县为流出地的流入、从本县迁往他处或返乡）",
                    "flows leaving the county (outflows, inflows naming it as origin, moves "
                    "on and returns home from it)",
                ),
                (
                    "分子：其中有生效的双向管理协议覆盖该方向的",
                    "those covered by an agreement in force for their direction",
                ),
            ),
            ("destination", "agreement_coverage"): (
                (
                    "分母：进入本县的流动（注明本县为流入地、迁往本县、返乡至本县）",
                    "flows arriving in the county",
                ),
                (
                    "分子：其中有生效的双向管理协议覆盖该方向的",
                    "those covered by an agreement in force for their direction",
                ),
            ),
        }
    )
)
# Indicators counted alike on both sides are written once, for the origin.
_SAME_ON_BOTH = (
    "certificate_answers_on_time",
    "inquiry_answers_on_time",
    "feedback_rate",
    "verification_on_time",
    "breaches",
    "escalations",
    "partner_breaches",
)


def definition(side: Side, name: str, lang: Lang) -> tuple[str, str]:
    """(denominator, numerator) of ``name`` on ``side`` in words."""
    key: tuple[Side, str] = ("origin", name) if name in _SAME_ON_BOTH else (side, name)
    denominator, numerator = DEFINITION[key]
    return pick(denominator, lang), pick(numerator, lang)


# The general rules in words (docs/assessment.md, "Scores" and "Periods").
RULES: tuple[tuple[str, str], ...] = (
    (
        "考核期：义务按其产生时间（协调世界时）计入当月和当季；此后的办结、逾期或上报督办改变的是"
        "该期的数字。协议覆盖率按流动发生的月份计入。",
        "Period: an obligation counts in the month and quarter it was opened (UTC); its later "
        "fulfilment, breach or escalation changes that period's figures. Agreement coverage "
        "counts by the month of the flow.",
    ),
    (
        vocabulary.SETTLED.definition("zh"),
        vocabulary.SETTLED.definition("en"),
    ),
    (
        "指标得分：比率达到目标值得100分，不高于底线值得0分，其间按线性计分；越低越好的指标"
        "方向相反。分母为0的指标不适用。",
        "Indicator score: 100 at or beyond the target, 0 at or below the floor, linear in "
        "between (reversed for lower-is-better indicators). An indicator with a zero "
        "denominator does not apply.",
    ),
    (
        "参评条件：某县在某一侧已计分的本县义务少于最低样本数时，该侧不参评：没有得分，既不"
        "记0分也不记100分。",
        "Who is assessed: a side with fewer settled obligations of the county's own than the "
        "minimum sample is not assessed: it has no score, never 0 and never 100.",
    ),
    (
        "侧得分为该侧适用指标的加权平均；综合得分为参评各侧按侧权重的加权平均；两侧均不参评的"
        "县不排名。",
        "A side's score is the weighted mean of its applicable indicators; the combined score "
        "the side-weighted mean of the sides assessed; a county assessed on neither side is "
        "not ranked.",
    ),
    (
        "排名：按综合得分由高到低；得分相同名次并列，下一名次顺延（1、2、2、4）。全区平均为参评"
        "各县得分的平均，不参评的一侧不计入。",
        "Rank: by combined score, best first; equal scores share a rank and the next skips "
        "(1, 2, 2, 4). The region average is the mean over the counties assessed; a side not "
        "assessed is left out.",
    ),
)
