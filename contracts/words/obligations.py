"""The kinds of obligation and of alert."""

from __future__ import annotations

from contracts.words.table import Words, words

OBLIGATION_KINDS: Words = words(
    {
        "arrival_registration": ("流入登记（接收）", "Register the arrival"),
        "origin_confirmation": ("流出地核实", "Confirm at the origin"),
        "inquiry_answer": ("协查回复", "Answer an inquiry"),
        "receipt_acknowledgement": ("服务信息签收", "Acknowledge receipt"),
        "handover_notice": ("移交通知", "Hand-over notice"),
        "case_takeover": ("接续管理", "Take over the case"),
        "verification_result": ("核查结果上报", "Report a verification result"),
    }
)

ALERT_KINDS: Words = words(
    {
        "agreement_missing": ("无协议流动", "Flow without an agreement"),
        "agreement_revoked_mid_case": ("协议中途撤销", "Agreement revoked mid-case"),
        "escalation": ("上报督办", "Escalation"),
        "answer_without_question": ("无对应事项的回复", "Answer without a question"),
    }
)
