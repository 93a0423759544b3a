"""The two-way assessment's words: its two sides and the league's columns and marks."""

from __future__ import annotations

from contracts.words.table import Words, words

SIDES: Words = words(
    {
        "origin": ("流出地", "As origin"),
        "destination": ("流入地", "As destination"),
    }
)

LEAGUE: Words = words(
    {
        "rank": ("名次", "Rank"),
        "origin_score": ("流出地得分", "As origin"),
        "destination_score": ("流入地得分", "As destination"),
        "combined_score": ("综合得分", "Combined"),
        # A side with too few settled obligations has no score: never 0, never 100.
        "not_assessed": ("不参评", "not assessed"),
        "not_ranked": ("未排名", "not ranked"),
        "region_average": ("全区平均", "Region average"),
    }
)

# The assessment's indicators (agents.assessment_config.INDICATORS), by name. A breach is
# 逾期 in the obligation vocabulary, so its rate is 逾期率.
INDICATORS: Words = words(
    {
        "registration_coverage": ("登记覆盖率", "registration coverage"),
        "registration_timeliness": ("登记及时率", "registered on time"),
        "certificate_answers_on_time": ("证明查验及时率", "certificate checks on time"),
        "inquiry_answers_on_time": ("协查及时率", "inquiries answered on time"),
        "feedback_rate": ("信息反馈率", "feedback rate"),
        "receipt_rate": ("签收率", "receipt rate"),
        "service_coverage": ("服务覆盖率", "service coverage"),
        "verification_on_time": ("核查按时完成率", "verification on time"),
        "breaches": ("逾期率", "breach rate"),
        "escalations": ("上报率", "escalation rate"),
        "partner_breaches": ("一地问题两地有责", "partner's breaches"),
        "agreement_coverage": ("协议覆盖率", "agreement coverage"),
    }
)
