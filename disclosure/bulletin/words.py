"""The bulletin's and the public page's own words, in Chinese (the default) and English: the
document's headings, notes and sentences. The domain words they show (obligation kinds,
campaign checks and results, the sides and the league's columns) are the shared ones in
:mod:`contracts.words`, the counts and terms the vocabulary's
(:mod:`contracts.obligation_vocabulary`), indicator names and what each counts are in
:mod:`disclosure.bulletin.definitions`.
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

from contracts.languages import Lang, pick

NUMERALS = "一二三四五六七八九十"
LANG_NAMES: MappingProxyType[str, str] = MappingProxyType({"zh": "中文", "en": "English"})

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
        "s_breaches": ("逾期与上报督办", "Breaches and escalations"),
        "s_campaigns": ("清理清查", "Clean-up and verification campaigns"),
        "s_movement": ("与上期比较", "Movement against the previous period"),
        "s_weights": ("考核标准与权重", "Standards and weights used"),
        "data_instant": ("数据截至（业务时间）", "Data as of (logical clock)"),
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
        "county": ("县（市、区）", "County"),
        "code": ("代码", "Code"),
        "no_ranking": ("本期无县参评，不排名。", "Nobody was assessed in this period: no ranking."),
        "not_assessed_note": (
            "不参评：该侧已计分的本县义务少于{n}件，不计分（既不记0分也不记100分）；"
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
        "settled": ("{settled}义务", "{settled} obligations"),
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
            "按本期产生的义务统计，责任县为统计对象：“{breached}”含逾期后办结的，“{escalated}”"
            "为已上报市级的。",
            "Obligations opened in the period, by responsible county: “{breached}” includes "
            "those answered late; “{escalated}” those escalated to the region.",
        ),
        "no_breaches": ("本期无逾期义务。", "No obligation of the period was breached."),
        "campaign": ("清查活动", "Campaign"),
        "campaign_span": ("开展时间", "Span"),
        "state_closed_early": ("已提前结束", "Closed early"),
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


def section_heading(number: int, title: str, lang: Lang) -> str:
    """``三、标题`` or ``3. Title``: a section's number as an office writes it."""
    return f"{NUMERALS[number - 1]}、{title}" if lang == "zh" else f"{number}. {title}"


def issued_on(date: dt.date, lang: Lang) -> str:
    """The issue date under the office's name: ``2026年4月15日`` or ``2026-04-15``."""
    return f"{date.year}年{date.month}月{date.day}日" if lang == "zh" else f"{date:%Y-%m-%d}"
