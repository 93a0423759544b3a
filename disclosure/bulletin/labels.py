"""The words of the bulletin and the public page, in Chinese (the default) and English.

Indicator names come from the catalog (:data:`agents.assessment_config.INDICATORS`, whose
titles carry both languages) and the obligation counts from the vocabulary
(:mod:`contracts.obligation_vocabulary`); what is here is what no other module states: the
document's own words, obligation kinds, campaign checks and results, and what each indicator
counts, for readers outside the offices (``docs/assessment.md`` is the authority; this is
its public wording).
"""

from __future__ import annotations

from types import MappingProxyType

from agents.assessment_config import BY_NAME, Side
from contracts.languages import Lang, pick


def indicator(name: str, lang: Lang) -> str:
    """The catalog's title in one language: ``登记覆盖率`` or ``registration coverage``."""
    title = BY_NAME[name].title
    english, _, chinese = title.rpartition(" ")
    return chinese if lang == "zh" else english


SIDE: MappingProxyType[Side, tuple[str, str]] = MappingProxyType(
    {"origin": ("流出地", "as origin"), "destination": ("流入地", "as destination")}
)

KIND = MappingProxyType(
    {
        "arrival_registration": ("到达登记", "arrival registration"),
        "origin_confirmation": ("流出地确认", "origin confirmation"),
        "inquiry_answer": ("协查答复", "inquiry answer"),
        "receipt_acknowledgement": ("服务签收", "receipt acknowledgement"),
        "handover_notice": ("移交通知", "hand-over notice"),
        "case_takeover": ("案件接管", "case takeover"),
        "verification_result": ("核查结果", "verification result"),
    }
)

CHECK = MappingProxyType(
    {
        "lost_contact": ("失联核查", "lost contact"),
        "unmatched_arrival": ("无流出登记的到达", "unmatched arrival"),
        "duplicate": ("重复登记", "duplicate"),
        "stale": ("长期无动态", "stale"),
        "revoked_agreement": ("协议已撤销", "revoked agreement"),
    }
)

RESULT = MappingProxyType(
    {
        "present": ("在册在住", "present"),
        "moved_on": ("已迁往他处", "moved on"),
        "returned_home": ("已返乡", "returned home"),
        "not_found": ("查无此人", "not found"),
        "deceased": ("已死亡", "deceased"),
        "duplicate": ("重复记录", "duplicate"),
    }
)

# What each indicator counts, per side: (denominator, numerator), Chinese then English.
DEFINITION: MappingProxyType[tuple[Side, str], tuple[tuple[str, str], tuple[str, str]]] = (
    MappingProxyType(
        {
            ("origin", "registration_coverage"): (
                (
                    "分母：义务记录反映的离开本县的流动，即以本县为对方的到达登记（本县登记了"
                    "流出）加上本县负责的流出地确认（流入地先登记了此人），不论是否办结",
                    "flows leaving the county that obligations show: arrival registrations "
                    "naming it as counterpart (it registered the outflow) plus origin "
                    "confirmations it is responsible for, settled or not",
                ),
                (
                    "分子：其中的到达登记（本县已登记流出的）",
                    "the arrival registrations among them",
                ),
            ),
            ("destination", "registration_coverage"): (
                (
                    "分母：以本县为对方的流出地确认（本县自行登记了流入），加上本县负责的已办结"
                    "到达登记",
                    "origin confirmations naming it as counterpart (it registered the inflow "
                    "itself) plus settled arrival registrations it is responsible for",
                ),
                (
                    "分子：流出地确认，加上已履行的到达登记（已登记或报告查无此人）",
                    "the origin confirmations plus the fulfilled arrival registrations",
                ),
            ),
            ("origin", "registration_timeliness"): (
                (
                    "分母：本县负责的已办结流出地确认和案件接管（返乡接管）",
                    "settled origin confirmations and case takeovers it is responsible for",
                ),
                ("分子：其中按时履行的", "those fulfilled on time"),
            ),
            ("destination", "registration_timeliness"): (
                (
                    "分母：本县负责的已办结到达登记和案件接管",
                    "settled arrival registrations and case takeovers it is responsible for",
                ),
                ("分子：其中按时履行的", "those fulfilled on time"),
            ),
            ("origin", "certificate_answers_on_time"): (
                (
                    "分母：本县负责的已办结证明查验类协查答复",
                    "settled answers to certificate checks it is responsible for",
                ),
                ("分子：其中按时答复的", "those answered on time"),
            ),
            ("origin", "inquiry_answers_on_time"): (
                (
                    "分母：本县负责的已办结其他协查答复（紧急及其他）",
                    "settled answers to other inquiries (urgent and other)",
                ),
                ("分子：其中按时答复的", "those answered on time"),
            ),
            ("origin", "feedback_rate"): (
                (
                    "分母：本县在该侧负责的全部已办结义务",
                    "every settled obligation it is responsible for on that side",
                ),
                ("分子：其中已履行的（按时或逾期）", "those fulfilled, on time or late"),
            ),
            ("origin", "receipt_rate"): (
                (
                    "分母：本县负责的已办结服务签收",
                    "settled receipt acknowledgements it is responsible for",
                ),
                ("分子：其中已签收的（按时或逾期）", "those acknowledged, on time or late"),
            ),
            ("destination", "service_coverage"): (
                (
                    "分母：本期来本县居住的人数（以本县为对方的流出地确认、本县已履行且未报告查无"
                    "此人的到达登记、本县已履行的案件接管）",
                    "persons who came to live in the county in the period",
                ),
                (
                    "分子：其中本县为之登记过服务的人数",
                    "those for whom it recorded a service",
                ),
            ),
            ("origin", "verification_on_time"): (
                (
                    "分母：本县负责的已办结清理清查核查任务",
                    "settled campaign verification tasks it is responsible for",
                ),
                ("分子：其中按时报告结果的", "those reported on time"),
            ),
            ("origin", "breaches"): (
                (
                    "分母：本县在该侧负责的全部已办结义务",
                    "every settled obligation it is responsible for on that side",
                ),
                (
                    "分子：其中超期的（含逾期后履行的）；越低越好",
                    "those breached, answered late or not; lower is better",
                ),
            ),
            ("origin", "escalations"): (
                ("分母：同超时率", "as for the breach rate"),
                ("分子：其中已上报市级的；越低越好", "those escalated; lower is better"),
            ),
            ("origin", "partner_breaches"): (
                (
                    "分母：本县作为对方、计入对侧的全部已办结义务（一地问题两地有责）",
                    "every settled obligation on which it is the counterpart, counted on the "
                    "other side",
                ),
                (
                    "分子：其中对方县超期的；越低越好",
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
        "考核期：义务按其产生时间（协调世界时）计入当月和当季；此后的履行、超期或上报改变的是"
        "该期的数字。协议覆盖率按流动发生的月份计入。",
        "Period: an obligation counts in the month and quarter it was opened (UTC); its later "
        "fulfilment, breach or escalation changes that period's figures. Agreement coverage "
        "counts by the month of the flow.",
    ),
    (
        "已办结：已履行（按时或逾期）或已超期。未到期的和已取消的义务不计入任何一方。",
        "Settled: fulfilled (on time or late) or past due. Obligations not yet due and "
        "cancelled ones count against nobody.",
    ),
    (
        "指标得分：比率达到目标值得100分，不高于底线值得0分，其间按线性计分；越低越好的指标"
        "方向相反。分母为0的指标不适用。",
        "Indicator score: 100 at or beyond the target, 0 at or below the floor, linear in "
        "between (reversed for lower-is-better indicators). An indicator with a zero "
        "denominator does not apply.",
    ),
    (
        "参评条件：某县在某一侧办结的本县义务少于最低样本数时，该侧不参评：没有得分，既不"
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

WORDS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "bulletin": ("通报", "Bulletin"),
        "title": (
            "关于{period}流动人口双向考核结果的通报",
            "Two-way assessment of migrant population management: results for {period}",
        ),
        "office_default": (
            "{region}流动人口服务管理工作领导小组办公室",
            "{region} Office for Migrant Population Service and Management",
        ),
        "addressees": (
            "各县（市、区）流动人口服务管理工作领导小组办公室：",
            "To the county (city, district) offices for migrant population service and management:",
        ),
        "preamble": (
            "根据流动人口“统筹管理、服务均等、信息共享、区域协作、双向考核”工作机制，现将"
            "{period}双向考核结果通报如下。本通报全部数字由事件日志计算得出，可按下列输入复核。",
            "Under the mechanism of unified management, equal services, information sharing, "
            "regional cooperation and two-way assessment, the results for {period} are as "
            "follows. Every figure is computed from the event log and can be recomputed from "
            "the inputs below.",
        ),
        "edition_public": (
            "公开版：各县计数小于{n}的（及可据以推算的）以“<{n}”或“*”代替。",
            "Public edition: county counts below {n} (and those they could be worked out "
            "from) are shown as “<{n}” or “*”.",
        ),
        "s_data": ("数据时点与日志位置", "Data instant and log position"),
        "s_league": ("双向考核排名", "Two-way league"),
        "s_indicators": ("各县考核指标", "Each county's indicators"),
        "s_coverage": ("双向管理协议覆盖率", "Agreement coverage"),
        "s_breaches": ("超期与上报", "Breaches and escalations"),
        "s_campaigns": ("清理清查", "Clean-up and verification campaigns"),
        "s_movement": ("与上期比较", "Movement against the previous period"),
        "s_weights": ("考核标准与权重", "Standards and weights used"),
        "data_instant": ("数据截至（逻辑时钟）", "Data as of (logical clock)"),
        "period": ("考核期", "Period"),
        "period_bounds": ("起止", "From - to"),
        "scope": ("范围", "Scope"),
        "scope_region": ("本市所辖县（市、区）", "the region's own counties"),
        "scope_all": ("往来的全部县（市、区）", "every county it deals with"),
        "topic": ("日志主题", "Topic"),
        "offset": ("各分区读取至位置", "Read up to offset, per partition"),
        "partitions": ("分区数", "Partitions"),
        "records_digest": ("记录摘要（SHA-256）", "Records digest (SHA-256)"),
        "positions_text": ("复现位置参数", "Positions to reproduce"),
        "weights_digest": ("权重文件摘要", "Weight file digest"),
        "code_version": ("程序版本", "Code version"),
        "inputs_digest": ("输入摘要", "Inputs digest"),
        "verify_hint": (
            "复核命令：liudong bulletin --verify 本文件",
            "To verify: liudong bulletin --verify THIS-FILE",
        ),
        "rank": ("名次", "Rank"),
        "county": ("县（市、区）", "County"),
        "code": ("代码", "Code"),
        "origin_score": ("流出地得分", "Origin"),
        "destination_score": ("流入地得分", "Destination"),
        "combined_score": ("综合得分", "Combined"),
        "not_assessed": ("不参评", "not assessed"),
        "not_ranked": ("未排名", "not ranked"),
        "region_average": ("全区平均", "Region average"),
        "no_ranking": ("本期无县参评，不排名。", "Nobody was assessed in this period: no ranking."),
        "not_assessed_note": (
            "不参评：该侧办结的本县义务少于{n}件，不计分（既不记0分也不记100分）；"
            "两侧均不参评的县不排名。",
            "Not assessed: fewer than {n} settled obligations of its own on that side, so no "
            "score (never 0 or 100); a county assessed on neither side is not ranked.",
        ),
        "league_chart": ("综合得分", "Combined score"),
        "indicator": ("指标", "Indicator"),
        "side": ("方向", "Side"),
        "fraction": ("分子/分母", "N / D"),
        "ratio": ("比率", "Ratio"),
        "score": ("得分", "Score"),
        "settled": ("办结义务", "Settled obligations"),
        "outflows": ("流出方向（本县为流出地）", "Outflows (as origin)"),
        "inflows": ("流入方向（本县为流入地）", "Inflows (as destination)"),
        "covered": ("有协议覆盖/流动数", "Covered / flows"),
        "target": ("目标", "Target"),
        "met": ("达标", "met"),
        "not_met": ("未达标", "not met"),
        "region_total": ("全区", "Region"),
        "region_total_note": (
            "全区为本期日志记录的全部流动（每次流动计一次，按流出地计）。",
            "The region is every flow the log records in the period (each counted once, "
            "as its origin's outflow).",
        ),
        "coverage_summary": (
            "全区协议覆盖率{share}，目标{target}，{verdict}；{met}个县流出方向达标，{total}个县有流出。",
            "Region coverage {share} against a target of {target}: {verdict}; {met} of {total} "
            "counties with outflows met it as origin.",
        ),
        "total": ("合计", "Total"),
        "breaches_note": (
            "按本期产生的义务统计，责任县为统计对象：“{breached}”含逾期后履行的，“{escalated}”"
            "为已上报市级的。",
            "Obligations opened in the period, by responsible county: “{breached}” includes "
            "those answered late; “{escalated}” those escalated to the region.",
        ),
        "no_breaches": ("本期无超期义务。", "No obligation of the period was breached."),
        "campaign": ("清查活动", "Campaign"),
        "campaign_span": ("开展时间", "Span"),
        "state_open": ("进行中", "open"),
        "state_closed": ("已结束", "closed"),
        "state_closed_early": ("已提前结束", "closed early"),
        "check": ("核查类型", "Check"),
        "assigned": ("下发", "Assigned"),
        "answered": ("已反馈", "Answered"),
        "overdue": ("逾期未反馈", "Overdue"),
        "result": ("核查结果", "Result"),
        "persons": ("人数", "Persons"),
        "no_campaigns": ("本期无清理清查活动。", "No campaign ran in this period."),
        "campaign_counties": ("涉及县数", "Counties"),
        "change": ("名次变化", "Change"),
        "score_change": ("得分变化", "Score change"),
        "new_entry": ("新参评", "new"),
        "no_previous": (
            "上期（{period}）无县参评，无可比较。",
            "Nobody was assessed in the previous period ({period}): nothing to compare.",
        ),
        "weight": ("权重", "Weight"),
        "floor": ("底线", "Floor"),
        "better": ("方向", "Better"),
        "higher": ("越高越好", "higher"),
        "lower": ("越低越好", "lower"),
        "side_weights": (
            "侧权重：流出地{origin}，流入地{destination}；最低样本数：{min}件；考核期结束{close}天后首次公布。",
            "Side weights: origin {origin}, destination {destination}; minimum sample: {min} "
            "settled obligations; first published {close} day(s) after a period ends.",
        ),
        "public_title": (
            "{region}流动人口双向考核结果公开",
            "{region}: two-way assessment results, open to the public",
        ),
        "public_intro": (
            "根据“考核结果公开公平公正”的要求，本页公布本市所辖各县（市、区）流动人口双向考核的"
            "排名、协议覆盖率、已发布的通报和考核标准。本页只公布汇总数字，不含任何个人信息。",
            "The two-way assessment of migrant population management in the region's own "
            "counties, open to the public: the league, agreement coverage, the bulletins "
            "published and the rules in force. Aggregates only: nothing here identifies a "
            "person.",
        ),
        "public_figures": (
            "本页数字取自事件日志（位置 {positions}），与同一位置的通报公开版一致。",
            "The figures are the event log's up to positions {positions}, as the public "
            "edition of a bulletin at those positions gives them.",
        ),
        "other_periods": ("其他考核期", "Other periods"),
        "published": ("已发布的通报", "Published bulletins"),
        "no_published": ("暂无已发布的通报。", "No bulletin has been published yet."),
        "format": ("格式", "Format"),
        "language": ("语言", "Language"),
        "rules": ("考核标准与权重（现行）", "Rules and weights in force"),
        "data_json": ("本页数据（JSON）", "This page's figures (JSON)"),
        "no_period": (
            "日志中还没有已结束的考核期。",
            "The log holds no closed assessment period yet.",
        ),
        "unknown_period": (
            "没有该考核期的公开数据：{period}",
            "No figures are public for that period: {period}",
        ),
        "suppressed_note": (
            "“<{n}”：计数小于{n}，不予公布；“*”：可据以推算小于{n}的计数，不予公布。",
            "“<{n}”: a count below {n}, withheld; “*”: withheld because a count below {n} "
            "could be worked out from it.",
        ),
    }
)


def word(key: str, lang: Lang, **values: object) -> str:
    text = pick(WORDS[key], lang)
    return text.format(**values) if values else text
