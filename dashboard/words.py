"""The dashboard's words for the system's codes, in Chinese (first) and English.

Every code the page shows (event types, obligation kinds, alert kinds, campaign checks and
results, dead-letter reason codes, who refused a message) is named here once, in the words
a county or city office uses; the page reads them from ``/api/words`` and shows a code only
when it has no entry (a code newer than this table). The obligation counts keep their own
labels in :mod:`contracts.obligation_vocabulary`, which every view reads.

A unit test requires an entry for every event type of the contracts, every obligation kind,
alert kind, check and result, and every reason code the gate, the codec and the agents can
write.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from contracts import obligation_vocabulary as vocabulary
from contracts.languages import Lang

Words = MappingProxyType[str, tuple[str, str]]  # code -> (中文, English)


def _words(table: dict[str, tuple[str, str]]) -> Words:
    return MappingProxyType(table)


EVENT_TYPES: Words = _words(
    {
        "county_registered": ("县区登记", "County registered"),
        "publisher_registered": ("报送单位登记", "Publisher registered"),
        "key_rotated": ("密钥更换", "Key rotated"),
        "publisher_revoked": ("报送单位注销", "Publisher revoked"),
        "agreement_signed": ("签订双向管理协议", "Agreement signed"),
        "agreement_amended": ("修订双向管理协议", "Agreement amended"),
        "agreement_revoked": ("撤销双向管理协议", "Agreement revoked"),
        "outflow_registered": ("流出登记", "Outflow registered"),
        "inflow_registered": ("流入登记", "Inflow registered"),
        "arrival_not_found": ("流入地查无此人", "Arrival not found"),
        "origin_answered": ("流出地核实回复", "Origin answered"),
        "moved_on": ("再次流动", "Moved on"),
        "returned_home": ("返乡", "Returned home"),
        "case_taken_over": ("接续管理", "Case taken over"),
        "inquiry_sent": ("发起协查", "Inquiry sent"),
        "inquiry_answered": ("协查回复", "Inquiry answered"),
        "service_recorded": ("服务登记", "Service recorded"),
        "receipt_acknowledged": ("签收", "Receipt acknowledged"),
        "campaign_opened": ("清理清查启动", "Clean-up campaign opened"),
        "campaign_extended": ("清理清查延期", "Clean-up campaign extended"),
        "campaign_closed": ("清理清查结束", "Clean-up campaign closed"),
        "verification_task_assigned": ("核查任务下达", "Verification task assigned"),
        "verification_result_reported": ("核查结果上报", "Verification result reported"),
        "records_split": ("撤销合并", "Records split"),
        "clock_ticked": ("业务日切换", "Daily tick"),
        "obligation_opened": ("生成待办事项", "Obligation opened"),
        "obligation_reminded": ("到期提醒", "Reminder sent"),
        "obligation_fulfilled": ("事项办结", "Obligation fulfilled"),
        "obligation_breached": ("逾期", "Overdue (breached)"),
        "obligation_escalated": ("上报督办", "Escalated to the region"),
        "obligation_cancelled": ("事项取消", "Obligation cancelled"),
        "alert_raised": ("预警", "Alert raised"),
        "agreement_coverage_published": ("协议覆盖率统计", "Agreement coverage published"),
        "campaign_progress_published": ("清理清查进度统计", "Campaign progress published"),
        "scorecard_published": ("考核结果发布", "Scorecard published"),
        "dead_lettered": ("拒收", "Refused"),
    }
)

OBLIGATION_KINDS: Words = _words(
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

ALERT_KINDS: Words = _words(
    {
        "agreement_missing": ("无协议流动", "Flow without an agreement"),
        "agreement_revoked_mid_case": ("协议中途撤销", "Agreement revoked mid-case"),
        "escalation": ("上报督办", "Escalation"),
        "answer_without_question": ("无对应事项的回复", "Answer without a question"),
    }
)

CHECKS: Words = _words(
    {
        "lost_contact": ("流出未接收（失联）", "Lost contact"),
        "unmatched_arrival": ("流入无流出登记", "Arrival without an outflow"),
        "duplicate": ("重复登记", "Registered twice"),
        "stale": ("长期无动态", "No activity for long"),
        "revoked_agreement": ("协议已撤销", "Agreement revoked"),
    }
)

RESULTS: Words = _words(
    {
        "present": ("在册属实", "Present"),
        "moved_on": ("已再次流动", "Moved on"),
        "returned_home": ("已返乡", "Returned home"),
        "not_found": ("查无此人", "Not found"),
        "deceased": ("已死亡", "Deceased"),
        "duplicate": ("重复记录", "Duplicate record"),
    }
)

# Why a message was refused: the reason codes of the gate, the codec and the agents.
REASONS: Words = _words(
    {
        "empty_message": ("空消息", "Empty message"),
        "oversize": ("消息过大", "Message too large"),
        "not_utf8": ("编码不是 UTF-8", "Not UTF-8 text"),
        "malformed_json": ("格式错误（不是合法 JSON）", "Malformed JSON"),
        "duplicate_key": ("同一字段出现两次", "A field given twice"),
        "not_an_object": ("不是一条记录（JSON 对象）", "Not a JSON object"),
        "missing_event_type": ("缺少事件类型", "Event type missing"),
        "unknown_event_type": ("未知事件类型", "Unknown event type"),
        "unsupported_schema_version": ("不支持的版本", "Unsupported schema version"),
        "invalid_fields": ("字段内容不合规", "Invalid fields"),
        "missing_signature": ("未签名", "Not signed"),
        "unknown_publisher": ("未登记的报送单位", "Unknown publisher"),
        "county_mismatch": ("签名单位与县区不符", "Signed for another county"),
        "bad_signature": ("签名验证失败（疑似伪造）", "Signature does not verify (forged?)"),
        "key_retired": ("密钥已停用", "Key retired"),
        "already_registered": ("已登记，不能重复登记", "Already registered"),
        "bad_publisher_id": ("报送单位编号不合规", "Malformed publisher id"),
        "out_of_scope": ("超出报送权限", "Outside the publisher's scope"),
        "not_a_party": ("非当事县区报送", "Not a party to the case"),
        "clock_skew": ("业务时间超前", "Time too far ahead"),
        "clock_regression": ("业务时间倒退", "Time goes backwards"),
        "event_id_reused": ("事件编号重复使用", "Event id reused"),
        "forward_refused": ("转发被拒（过大）", "Forwarding refused (too large)"),
    }
)

DETECTED_BY: Words = _words(
    {
        "gate": ("接入校验", "Gate"),
        "projector": ("入库", "Projector"),
    }
)

# Where an agreement stands (contracts.agreement_terms.AgreementStatus), and the fields two
# signatures of it can differ in (contracts.agreement_terms.Proposal).
AGREEMENT_STATES: Words = _words(
    {
        "pending": ("待签署", "Pending a signature"),
        "in_force": ("生效中", "In force"),
        "not_yet": ("尚未生效", "Not yet binding"),
        "ended": ("已到期", "Ended"),
        "revoked": ("已撤销", "Revoked"),
    }
)
AGREEMENT_FIELDS: Words = _words(
    {
        "origin": ("流出地", "origin"),
        "destination": ("流入地", "destination"),
        "effective_from": ("生效日期", "start"),
        "effective_to": ("截止日期", "end"),
        "terms": ("办理时限条款", "terms"),
    }
)

# contracts.campaign_status.STATES
CAMPAIGN_STATES: Words = _words(
    {
        "open": ("进行中", "Open"),
        "overdue_open": ("已过截止日仍未结束", "Past its deadline, still open"),
        "closed": ("已结束", "Closed"),
    }
)

# The topics, by their names without the deployment prefix (streams.topics).
TOPICS: Words = _words(
    {
        "registry": ("登记", "registry"),
        "county-events": ("县区报送", "county events"),
        "validated": ("已校验事件", "validated events"),
        "obligations": ("事项", "obligations"),
        "alerts": ("预警与统计", "alerts and figures"),
        "scorecards": ("考核结果", "scorecards"),
        "dead-letters": ("拒收报送", "refused messages"),
    }
)

TABLES: MappingProxyType[str, Words] = MappingProxyType(
    {
        "event_types": EVENT_TYPES,
        "obligation_kinds": OBLIGATION_KINDS,
        "alert_kinds": ALERT_KINDS,
        "checks": CHECKS,
        "results": RESULTS,
        "reasons": REASONS,
        "detected_by": DETECTED_BY,
        "campaign_states": CAMPAIGN_STATES,
        "topics": TOPICS,
        "agreement_states": AGREEMENT_STATES,
        "agreement_fields": AGREEMENT_FIELDS,
    }
)


def word(table: Words, code: str, lang: Lang = "zh") -> str:
    """The code's word in ``lang``; the code itself when the table has no entry."""
    entry = table.get(code)
    if entry is None:
        return code
    return entry[0] if lang == "zh" else entry[1]


def for_page() -> dict[str, Any]:
    """Every table as ``{table: {code: {"zh": ..., "en": ...}}}``, and the counts' labels."""
    out: dict[str, Any] = {
        name: {code: {"zh": zh, "en": en} for code, (zh, en) in table.items()}
        for name, table in TABLES.items()
    }
    out["counts"] = vocabulary.labels()
    return out
