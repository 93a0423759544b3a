"""GB/T 2260 division codes: the shipped table and the county / authority look-ups."""

from __future__ import annotations

from importlib import resources

import pytest

from contracts import divisions

ANKANG = "610900"
ANKANG_COUNTIES = {
    "610902": "汉滨区",
    "610921": "汉阴县",
    "610922": "石泉县",
    "610923": "宁陕县",
    "610924": "紫阳县",
    "610925": "岚皋县",
    "610926": "平利县",
    "610927": "镇坪县",
    "610929": "白河县",
    "610981": "旬阳市",
}


@pytest.mark.parametrize(("code", "name"), sorted(ANKANG_COUNTIES.items()))
def test_ankang_county_level_codes_are_counties(code: str, name: str) -> None:
    county = divisions.county(code)
    assert county is not None
    assert (county.code, county.level, county.name) == (code, "county", name)
    assert (county.prefecture, county.province) == ("安康市", "陕西省")
    assert divisions.authority(code) == county


def test_ankang_has_exactly_ten_counties() -> None:
    in_ankang = {code for code in divisions.county_codes() if code.startswith("6109")}
    assert in_ankang == set(ANKANG_COUNTIES)


def test_abolished_xunyang_county_code_is_not_current() -> None:
    # 旬阳县 (610928) became the county-level city 旬阳市 (610981) in 2021.
    assert divisions.county("610928") is None
    assert divisions.authority("610928") is None


def test_prefecture_is_an_authority_but_not_a_county() -> None:
    assert divisions.county(ANKANG) is None
    prefecture = divisions.authority(ANKANG)
    assert prefecture is not None
    assert (prefecture.level, prefecture.name) == ("prefecture", "安康市")


def test_province_is_an_authority() -> None:
    province = divisions.authority("610000")
    assert province is not None
    assert (province.level, province.name) == ("province", "陕西省")


@pytest.mark.parametrize("code", ["999999", "000000", "61090", "6109020", ""])
def test_unknown_codes_are_neither(code: str) -> None:
    assert divisions.county(code) is None
    assert divisions.authority(code) is None


def test_name_of_falls_back_to_the_code() -> None:
    assert divisions.name_of("610981") == "旬阳市"
    assert divisions.name_of("999999") == "999999"


def test_table_is_loaded_from_the_shipped_csv() -> None:
    text = resources.files("contracts").joinpath("data/gbt2260_codes.csv").read_text("utf-8")
    data = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert data[0] == "code,level,name,prefecture,province"
    county_rows = {line.split(",")[0] for line in data[1:] if line.split(",")[1] == "county"}
    assert county_rows == set(divisions.county_codes())


def test_table_has_every_county_level_code() -> None:
    codes = divisions.county_codes()
    assert 2_800 <= len(codes) <= 3_100
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)
    assert all(len(code) == 6 and code.isascii() and code.isdigit() for code in codes)
