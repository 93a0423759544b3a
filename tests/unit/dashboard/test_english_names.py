"""English names of divisions: the stem in pinyin, the kind of division in English, the
ethnic groups of an autonomous county in their English names (pypinyin stood in for)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from contracts import divisions
from contracts.divisions import Division
from dashboard import english_names

SOUNDS = {
    "汉": "han", "滨": "bin", "西": "xi", "安": "an", "长": "zhang", "阳": "yang", "恭": "gong",
    "城": "cheng", "双": "shuang", "江": "jiang", "海": "hai", "淀": "dian", "鄂": "e",
}  # fmt: skip


def syllables(text: str) -> Sequence[str]:
    return [SOUNDS[c] for c in text]


def county(code: str, name: str, level: str = "county") -> Division:
    return Division(code, level, name, "某市", "某省")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("division", "english"),
    [
        (county("610902", "汉滨区"), "Hanbin District"),
        (county("999901", "西安县"), "Xi'an County"),  # an apostrophe before a, o, e
        (county("999902", "海淀区"), "Haidian District"),
        (county("999903", "长阳土家族自治县"), "Changyang Tujia Autonomous County"),
        (county("999904", "恭城瑶族自治县"), "Gongcheng Yao Autonomous County"),
        (
            county("999905", "双江拉祜族佤族布朗族傣族自治县"),
            "Shuangjiang Lahu, Va, Blang and Dai Autonomous County",
        ),
        (county("999906", "汉城市"), "Hancheng City"),
        (county("999907", "西安旗"), "Xi'an Banner"),
        (county("999900", "西安地区", "prefecture"), "Xi'an Prefecture"),
        (county("110100", "市辖区", "prefecture"), "Beijing"),
        (county("469000", "省直辖县级行政区划", "prefecture"), "Hainan (county-level divisions)"),
        (county("610000", "陕西省", "province"), "Shaanxi"),
        (county("310115", "浦东新区"), "Pudong New Area"),
    ],
)
def test_english_name(division: Division, english: str) -> None:
    assert english_names.english(division, syllables) == english


def test_stems_read_wrongly_by_pinyin_are_corrected() -> None:
    assert english_names.stem_pinyin("长阳", syllables) == "Changyang"
    assert english_names.stem_pinyin("长城", syllables) == "Changcheng"  # 长 in a place: chang
    assert english_names.stem_pinyin("汉滨", syllables) == "Hanbin"


def test_the_table_lists_every_division_once() -> None:
    text = english_names.table(lambda s: ["x"] * len(s))
    lines = text.splitlines()
    assert lines[3] == "code,level,en"
    assert len(lines) - 4 == len(divisions.all_divisions())
