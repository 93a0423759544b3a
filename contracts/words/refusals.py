"""Why a message was refused (the reason codes of the gate, the codec and the agents), and
which step refused it."""

from __future__ import annotations

from contracts.words.table import Words, words

REASONS: Words = words(
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

DETECTED_BY: Words = words(
    {
        "gate": ("接入校验", "Gate"),
        "projector": ("入库", "Projector"),
    }
)
