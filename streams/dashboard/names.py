"""County names for the page: Chinese from GB/T 2260, English (pinyin) for the demo's counties."""

from __future__ import annotations

from collections.abc import Iterable

from contracts import divisions

# Pinyin of the counties the demo and the simulation use: Ankang and its corridors (Xi'an,
# Shenzhen, Dongguan, Guangzhou, Hangzhou, Ningbo, Suzhou, Shanghai, Beijing). Counties of
# the simulation's random "elsewhere" pool show their Chinese name and code in English.
PINYIN: dict[str, str] = {
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
# Names that are not "<pinyin> <District|County|City>".
FULL: dict[str, str] = {
    "310115": "Pudong New Area",
    "320576": "Suzhou Industrial Park",
}
_SUFFIX = {"区": "District", "县": "County", "市": "City", "旗": "Banner"}


def english(code: str) -> str:
    """``Hanbin District``; a county without a pinyin entry falls back to its code."""
    if code in FULL:
        return FULL[code]
    division = divisions.authority(code)
    base = PINYIN.get(code)
    if base is None:
        return f"County {code}" if division is None else f"{division.name} ({code})"
    suffix = _SUFFIX.get(division.name[-1], "") if division else ""
    if division is not None and division.level == "prefecture":
        suffix = "City"
    return f"{base} {suffix}".strip()


def chinese(code: str) -> str:
    return divisions.name_of(code)


def names(codes: Iterable[str]) -> dict[str, dict[str, str]]:
    return {c: {"zh": chinese(c), "en": english(c)} for c in sorted(set(codes)) if c}
