"""Where a two-way agreement stands (:class:`contracts.agreement_terms.AgreementStatus`), and
the fields two signatures of it can differ in (:class:`contracts.agreement_terms.Proposal`)."""

from __future__ import annotations

from contracts.words.table import Words, words

AGREEMENT_STATES: Words = words(
    {
        "pending": ("待签署", "Pending a signature"),
        "in_force": ("生效中", "In force"),
        "not_yet": ("尚未生效", "Not yet binding"),
        "ended": ("已到期", "Ended"),
        "revoked": ("已撤销", "Revoked"),
    }
)

AGREEMENT_FIELDS: Words = words(
    {
        "origin": ("流出地", "origin"),
        "destination": ("流入地", "destination"),
        "effective_from": ("生效日期", "start"),
        "effective_to": ("截止日期", "end"),
        "terms": ("办理时限条款", "terms"),
    }
)
