"""What every section of the bulletin (and the public page) needs: the language, the
suppression threshold, the words and the numbers as shown, and a table. Pure, no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from html import escape

from contracts import divisions, periods
from contracts.languages import Lang
from contracts.words import table as code_words
from contracts.words.assessment import LEAGUE
from disclosure.bulletin import suppression
from disclosure.bulletin.content import Content, Fraction
from disclosure.bulletin.inputs import Inputs
from disclosure.bulletin.words import word


def county_name(code: str) -> str:
    division = divisions.county(code)
    return division.name if division else code


def region_name(code: str) -> str:
    division = divisions.authority(code)
    return division.name if division else code


class Doc:
    """What every section needs: the language and the suppression threshold."""

    def __init__(self, content: Content, inputs: Inputs) -> None:
        self.c = content
        self.inputs = inputs
        self.lang: Lang = inputs.lang
        self.threshold = inputs.suppress_below

    def w(self, key: str, **values: object) -> str:
        return escape(word(key, self.lang, **values))

    def term(self, table: code_words.Words, code: str) -> str:
        """A code's shared word (:mod:`contracts.words`), escaped."""
        return escape(code_words.word(table, code, self.lang))

    def period(self, period: periods.Period | None = None) -> str:
        p = self.c.period if period is None else period
        return escape(p.label(self.lang))

    def count(self, n: int) -> str:
        return escape(suppression.count(n, self.threshold).text)

    def fraction(self, f: Fraction) -> tuple[str, str, str]:
        """(numerator, denominator, ratio) as shown."""
        num, den = suppression.fraction(f.numerator, f.denominator, self.threshold)
        ratio = "-" if f.ratio is None or not num.exact else percent(f.ratio)
        return escape(num.text), escape(den.text), ratio

    def shown(self, f: Fraction) -> bool:
        return suppression.fraction_shown(f.numerator, f.denominator, self.threshold)

    def score(self, value: float | None) -> str:
        if value is None:
            return f'<span class="na">{self.term(LEAGUE, "not_assessed")}</span>'
        return f"{value:.2f}"

    def aside(self, text: str) -> str:
        """``text`` in parentheses, as each language writes them."""
        return f"（{text}）" if self.lang == "zh" else f" ({text})"

    def county(self, code: str) -> str:
        return (
            f'<span class="county">{escape(county_name(code))}</span>'
            f'<span class="code">{escape(code)}</span>'
        )


def topic_digest(partitions: Sequence[str]) -> str:
    """One digest for a topic's records: SHA-256 over its partitions' digests in order."""
    return hashlib.sha256("".join(partitions).encode()).hexdigest()


def percent(ratio: float) -> str:
    return f"{100 * ratio:.1f}%"


def table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    out = [f"<table{attr}><thead><tr>"]
    out += [f"<th>{h}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n")
    out.append("</tbody></table>\n")
    return "".join(out)
