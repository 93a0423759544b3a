"""English names of every GB/T 2260 division, as the dashboard shows them in English.

The page names a county the same way whichever county it is: ``Hanbin District``,
``Ziyang County``, ``Xunyang City``, ``Changyang Tujia Autonomous County``. The names are
shipped as a table (``data/division_names_en.csv``) written by :func:`table` from the
division table: the stem in Hanyu Pinyin (syllables joined, an apostrophe before a syllable
that starts with a, o or e), then the English of the division's kind; the ethnic groups of
an autonomous county or prefecture in their English names. Regenerate it, after
``pip install pypinyin``, with ``python -m dashboard.english_names``. Only that
command needs pypinyin; reading the table does not.
"""

from __future__ import annotations

import csv
import importlib
import io
import sys
from collections.abc import Callable, Sequence

from contracts import divisions

# Stems pypinyin reads with the wrong sound in a place name, and names written otherwise
# by convention.
STEMS: dict[str, str] = {
    "朝阳": "Chaoyang",
    "长阳": "Changyang",
    "长治": "Changzhi",
    "长沙": "Changsha",
    "长春": "Changchun",
    "长安": "Chang'an",
    "长寿": "Changshou",
    "长乐": "Changle",
    "长兴": "Changxing",
    "长丰": "Changfeng",
    "长垣": "Changyuan",
    "长子": "Zhangzi",
    "洪洞": "Hongtong",
    "乐清": "Yueqing",
    "乐亭": "Laoting",
    "六安": "Lu'an",
    "番禺": "Panyu",
    "铅山": "Yanshan",
    "东阿": "Dong'e",
    "鄠邑": "Huyi",
    "蚌埠": "Bengbu",
    "莘县": "Shen",
    "厦门": "Xiamen",
    "大同": "Datong",
    "重庆": "Chongqing",
    "陕西": "Shaanxi",
}
# Stems checked by hand for the counties the demo and the simulation use most (Ankang and
# its corridors), by code.
CODE_STEMS: dict[str, str] = {
    "610900": "Ankang",
    "610902": "Hanbin",
    "610921": "Hanyin",
    "610922": "Shiquan",
    "610923": "Ningshan",
    "610924": "Ziyang",
    "610925": "Langao",
    "610926": "Pingli",
    "610927": "Zhenping",
    "610929": "Baihe",
    "610981": "Xunyang",
    "610100": "Xi'an",
    "610102": "Xincheng",
    "610103": "Beilin",
    "610104": "Lianhu",
    "610111": "Baqiao",
    "610112": "Weiyang",
    "610113": "Yanta",
    "610114": "Yanliang",
    "610115": "Lintong",
    "610116": "Chang'an",
    "610117": "Gaoling",
    "610118": "Huyi",
    "610122": "Lantian",
    "610124": "Zhouzhi",
    "440300": "Shenzhen",
    "440303": "Luohu",
    "440304": "Futian",
    "440305": "Nanshan",
    "440306": "Bao'an",
    "440307": "Longgang",
    "440308": "Yantian",
    "440309": "Longhua",
    "440310": "Pingshan",
    "440311": "Guangming",
    "441900": "Dongguan",
    "110101": "Dongcheng",
    "110102": "Xicheng",
    "110105": "Chaoyang",
    "110106": "Fengtai",
    "110107": "Shijingshan",
    "110108": "Haidian",
    "110109": "Mentougou",
    "110111": "Fangshan",
    "110112": "Tongzhou",
    "110113": "Shunyi",
    "110114": "Changping",
    "110115": "Daxing",
    "110116": "Huairou",
    "110117": "Pinggu",
    "110118": "Miyun",
    "110119": "Yanqing",
    "310101": "Huangpu",
    "310104": "Xuhui",
    "310105": "Changning",
    "310106": "Jing'an",
    "310107": "Putuo",
    "310109": "Hongkou",
    "310110": "Yangpu",
    "310112": "Minhang",
    "310113": "Baoshan",
    "310114": "Jiading",
    "310116": "Jinshan",
    "310117": "Songjiang",
    "310118": "Qingpu",
    "310120": "Fengxian",
    "310151": "Chongming",
    "320505": "Huqiu",
    "320506": "Wuzhong",
    "320507": "Xiangcheng",
    "320508": "Gusu",
    "320509": "Wujiang",
    "320581": "Changshu",
    "320582": "Zhangjiagang",
    "320583": "Kunshan",
    "320585": "Taicang",
    "330102": "Shangcheng",
    "330105": "Gongshu",
    "330106": "Xihu",
    "330108": "Binjiang",
    "330109": "Xiaoshan",
    "330110": "Yuhang",
    "330111": "Fuyang",
    "330112": "Lin'an",
    "330113": "Linping",
    "330114": "Qiantang",
    "330122": "Tonglu",
    "330127": "Chun'an",
    "330182": "Jiande",
    "330203": "Haishu",
    "330205": "Jiangbei",
    "330206": "Beilun",
    "330211": "Zhenhai",
    "330212": "Yinzhou",
    "330213": "Fenghua",
    "330225": "Xiangshan",
    "330226": "Ninghai",
    "330281": "Yuyao",
    "330282": "Cixi",
    "440103": "Liwan",
    "440104": "Yuexiu",
    "440105": "Haizhu",
    "440106": "Tianhe",
    "440111": "Baiyun",
    "440112": "Huangpu",
    "440113": "Panyu",
    "440114": "Huadu",
    "440115": "Nansha",
    "440117": "Conghua",
    "440118": "Zengcheng",
}
PROVINCES: dict[str, str] = {
    "110000": "Beijing",
    "120000": "Tianjin",
    "130000": "Hebei",
    "140000": "Shanxi",
    "150000": "Inner Mongolia",
    "210000": "Liaoning",
    "220000": "Jilin",
    "230000": "Heilongjiang",
    "310000": "Shanghai",
    "320000": "Jiangsu",
    "330000": "Zhejiang",
    "340000": "Anhui",
    "350000": "Fujian",
    "360000": "Jiangxi",
    "370000": "Shandong",
    "410000": "Henan",
    "420000": "Hubei",
    "430000": "Hunan",
    "440000": "Guangdong",
    "450000": "Guangxi",
    "460000": "Hainan",
    "500000": "Chongqing",
    "510000": "Sichuan",
    "520000": "Guizhou",
    "530000": "Yunnan",
    "540000": "Tibet",
    "610000": "Shaanxi",
    "620000": "Gansu",
    "630000": "Qinghai",
    "640000": "Ningxia",
    "650000": "Xinjiang",
}
# Names that are not "<stem> <kind>".
WHOLE: dict[str, str] = {
    "310115": "Pudong New Area",
    "320576": "Suzhou Industrial Park",
}
# The 55 minority nationalities as autonomous divisions name them (without 族).
ETHNIC: dict[str, str] = {
    "蒙古": "Mongol",
    "回": "Hui",
    "藏": "Tibetan",
    "维吾尔": "Uyghur",
    "苗": "Miao",
    "彝": "Yi",
    "壮": "Zhuang",
    "布依": "Bouyei",
    "朝鲜": "Korean",
    "满": "Manchu",
    "侗": "Dong",
    "瑶": "Yao",
    "白": "Bai",
    "土家": "Tujia",
    "哈尼": "Hani",
    "哈萨克": "Kazakh",
    "傣": "Dai",
    "黎": "Li",
    "傈僳": "Lisu",
    "佤": "Va",
    "畲": "She",
    "高山": "Gaoshan",
    "拉祜": "Lahu",
    "水": "Shui",
    "东乡": "Dongxiang",
    "纳西": "Naxi",
    "景颇": "Jingpo",
    "柯尔克孜": "Kyrgyz",
    "土": "Tu",
    "达斡尔": "Daur",
    "仫佬": "Mulao",
    "羌": "Qiang",
    "布朗": "Blang",
    "撒拉": "Salar",
    "毛南": "Maonan",
    "仡佬": "Gelao",
    "锡伯": "Xibe",
    "阿昌": "Achang",
    "普米": "Pumi",
    "塔吉克": "Tajik",
    "怒": "Nu",
    "乌孜别克": "Uzbek",
    "俄罗斯": "Russian",
    "鄂温克": "Evenki",
    "德昂": "De'ang",
    "保安": "Bonan",
    "裕固": "Yugur",
    "京": "Gin",
    "塔塔尔": "Tatar",
    "独龙": "Derung",
    "鄂伦春": "Oroqen",
    "赫哲": "Hezhen",
    "门巴": "Monba",
    "珞巴": "Lhoba",
    "基诺": "Jino",
    "各": "Multi-ethnic",
}
# The kind of division by the end of its name, longest first.
KINDS: tuple[tuple[str, str], ...] = (
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
    ("自治州", "Autonomous Prefecture"),
    ("林区", "Forestry District"),
    ("特区", "Special District"),
    ("新区", "New Area"),
    ("地区", "Prefecture"),
    ("区", "District"),
    ("县", "County"),
    ("市", "City"),
    ("旗", "Banner"),
    ("盟", "League"),
)
# A prefecture-level row that is only a grouping of its province's counties.
GROUPINGS: dict[str, str] = {
    "市辖区": "{province}",
    "县": "{province} (counties)",
    "省直辖县级行政区划": "{province} (county-level divisions)",
    "自治区直辖县级行政区划": "{province} (county-level divisions)",
}

Syllables = Callable[[str], Sequence[str]]


def stem_pinyin(stem: str, syllables: Syllables) -> str:
    """``汉滨`` -> ``Hanbin``; ``西安`` -> ``Xi'an``."""
    if stem in STEMS:
        return STEMS[stem]
    parts = [s.lower() for s in syllables(stem)]
    if stem.startswith("长") and parts and parts[0] == "zhang":
        parts[0] = "chang"
    out = ""
    for i, part in enumerate(parts):
        if i and part[:1] in "aoe":
            out += "'"
        out += part
    return out[:1].upper() + out[1:]


def _ethnic_groups(text: str) -> list[str] | None:
    """``土家族`` -> ``["Tujia"]``; None unless ``text`` is wholly ``<group>族...``."""
    if not text:
        return []
    for name in sorted(ETHNIC, key=len, reverse=True):
        token = name + "族"
        if text.startswith(token):
            rest = _ethnic_groups(text[len(token) :])
            if rest is not None:
                return [ETHNIC[name], *rest]
    return None


def _split_autonomous(stem: str) -> tuple[str, list[str]]:
    """The place and its ethnic groups: ``长阳土家族`` -> (``长阳``, ``["Tujia"]``)."""
    for i in range(1, len(stem)):
        groups = _ethnic_groups(stem[i:])
        if groups:
            return stem[:i], groups
    return stem, []


def _groups_text(groups: list[str]) -> str:
    if len(groups) <= 2:
        return " and ".join(groups)
    return ", ".join(groups[:-1]) + " and " + groups[-1]


def english(division: divisions.Division, syllables: Syllables) -> str:
    if division.code in WHOLE:
        return WHOLE[division.code]
    if division.level == "province":
        known = PROVINCES.get(division.code)
        return known if known is not None else stem_pinyin(division.name, syllables)
    province = PROVINCES.get(division.code[:2] + "0000", division.province)
    if division.level == "prefecture" and division.name in GROUPINGS:
        return GROUPINGS[division.name].format(province=province)
    for ending, kind in KINDS:
        if division.name.endswith(ending) and len(division.name) > len(ending):
            stem = division.name[: -len(ending)]
            if division.code in CODE_STEMS:
                return f"{CODE_STEMS[division.code]} {kind}"
            if ending.startswith("自治"):
                place, groups = _split_autonomous(stem)
                name = stem_pinyin(place, syllables)
                return f"{name} {_groups_text(groups)} {kind}" if groups else f"{name} {kind}"
            return f"{stem_pinyin(stem, syllables)} {kind}"
    return stem_pinyin(division.name, syllables)


def table(syllables: Syllables) -> str:
    """The shipped table's text: every division's code, level and English name."""
    out = io.StringIO()
    out.write(
        "# English names of the GB/T 2260 divisions in contracts/data/gbt2260_codes.csv, for\n"
        "# the dashboard. Written by `python -m dashboard.english_names` (Hanyu Pinyin\n"
        "# from pypinyin, corrections in that module); do not edit by hand.\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("code", "level", "en"))
    for division in divisions.all_divisions():
        writer.writerow((division.code, division.level, english(division, syllables)))
    return out.getvalue()


def main() -> int:
    pypinyin = importlib.import_module("pypinyin")

    def syllables(text: str) -> Sequence[str]:
        result: list[str] = pypinyin.lazy_pinyin(text)
        return result

    sys.stdout.write(table(syllables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
