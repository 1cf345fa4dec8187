"""mask_text / mask_name / find_unmasked: personal data masked, everything else untouched."""

from __future__ import annotations

import pytest
from gxq.masking import find_unmasked, mask_name, mask_text
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("13612340546", "136****0546"),
        ("电话13612340546。", "电话136****0546。"),
        ("+8613612340546", "+86136****0546"),
        ("136-1234-0546", "136-****-0546"),
        ("136 1234 0546", "136 **** 0546"),
        ("0411-84751234", "0411-****1234"),
        ("(0411)84751234", "(0411)****1234"),
        ("010-6552123", "010-***2123"),
        ("0411-84751234转806", "0411-****1234转806"),
        ("210203199001011234", "210203********1234"),
        ("21020319900101123X", "210203********123X"),
        ("身份证号:110102200002291234,", "身份证号:110102********1234,"),
    ],
)
def test_masks(raw, masked):
    assert mask_text(raw) == masked
    assert find_unmasked(raw) and not find_unmasked(masked)
    assert mask_text(masked) == masked  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "91210231MA0XXXXXXX",  # 统一社会信用代码
        "91210231MA0Y4B6Q2K",
        "912102310000000000",  # all digits, but no province 91 and no birth date
        "110102199013011234",  # month 13: not a birth date
        "2021-03-01 09:00:00",
        "2021-03-01T09:00:00+08:00",
        "2021-W09 2021-03 2021-Q1",
        "P0001 P202103010001 8890-20210301-0001",
        "金额 13600000000.00 元, 300000, 1234567.89",
        "0.13612340546",
        "U01 U20 batch 2021-03-hte_first_certification",
        "1234567890123456789012",  # too long for anything
    ],
)
def test_leaves_non_personal_data_alone(text):
    assert mask_text(text) == text
    assert find_unmasked(text) == []


@pytest.mark.parametrize(
    "name, masked",
    [("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧阳**"), ("司马光", "司马*"), ("诸葛亮", "诸葛*"),
     ("欧阳", "欧*"), ("李", "*"), ("", ""), (None, None)],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_text_with_known_names():
    assert mask_text("市民欧阳娜娜、张三反映", names=["张三", "欧阳娜娜"]) == "市民欧阳**、张*反映"


digits = st.text(alphabet="0123456789", min_size=11, max_size=11)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "电话", "tel: ", "（", " "]))
def test_any_mobile_is_masked(mobile, prefix):
    out = mask_text(f"{prefix}{mobile}，谢谢")
    assert mobile not in out and f"{mobile[:3]}****{mobile[-4:]}" in out and not find_unmasked(out)
