"""The package's documents: the 工作总结 outline and check, the sealed scan's version check."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
import weasyprint
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from services.review.domain.errors import InvalidInputError, StateConflictError
from services.review.domain.package import PART_LABELS, ensure_complete
from services.review.domain.package_documents import (
    SUMMARY_HEADINGS,
    check_scan,
    check_summary,
    missing_headings,
    summary_outline,
    version_code,
)


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_with(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_the_generated_outline_passes_its_own_check():
    outline = summary_outline(unit_name="西藏自治区质量协会", year=2023)
    assert missing_headings(outline) == []
    texts = [p.text for p in docx.Document(io.BytesIO(outline)).paragraphs]
    assert texts[0] == "西藏自治区质量协会2023年质量管理小组活动工作总结"
    assert [t for t in texts if t in SUMMARY_HEADINGS] == list(SUMMARY_HEADINGS)


def test_a_summary_missing_headings_is_refused_naming_them():
    data = docx_with(["一、基本情况和主要数据", "2. 推进措施", "四、典型经验", "五、存在问题"])
    with pytest.raises(InvalidInputError) as refused:
        check_summary(data)
    assert "三、发表交流与评审" in refused.value.message
    assert "六、下一年工作计划" in refused.value.message
    assert "二、推进措施" not in refused.value.message


@pytest.mark.parametrize(
    "data",
    [
        blank_pdf(1),
        b"PK\x03\x04 not really a zip",
        b"",
    ],
)
def test_what_is_not_a_docx_is_refused(data: bytes):
    with pytest.raises(InvalidInputError, match="工作总结"):
        check_summary(data)


def test_a_zip_without_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(InvalidInputError, match=r"word/document\.xml"):
        check_summary(buffer.getvalue())


def test_a_scan_without_text_is_checked_by_page_count_only():
    check = check_scan(blank_pdf(2), expected_pages=2, unit_name="西藏", code="ABCD1234")
    assert (check.pages, check.has_text) == (2, False)
    assert "只核对了页数" in check.note
    with pytest.raises(InvalidInputError, match="只有 1 页"):
        check_scan(blank_pdf(1), expected_pages=2, unit_name="西藏", code="ABCD1234")


def test_a_text_scan_without_a_printed_code_is_checked_by_pages_and_unit_name():
    scan = weasyprint.HTML(
        string="<p>西藏自治区质量协会 全国优秀质量管理小组推荐表</p>"
    ).write_pdf()
    check = check_scan(scan, expected_pages=1, unit_name="西藏自治区质量协会", code="ABCD1234")
    assert (check.pages, check.has_text) == (1, True)
    assert "没有版本码" in check.note
    stale = weasyprint.HTML(string="<p>西藏自治区质量协会 版本码：0BAD0C0D</p>").write_pdf()
    with pytest.raises(InvalidInputError, match="0BAD0C0D"):
        check_scan(stale, expected_pages=1, unit_name="西藏自治区质量协会", code="ABCD1234")


def test_a_scan_that_is_not_a_pdf_is_refused_by_its_magic_bytes():
    with pytest.raises(InvalidInputError, match="不是 PDF"):
        check_scan(docx_with(["x"]), expected_pages=1, unit_name="西藏", code="ABCD1234")
    with pytest.raises(InvalidInputError, match="已损坏"):
        check_scan(b"%PDF-1.7 garbage", expected_pages=1, unit_name="西藏", code="ABCD1234")


def test_version_code_is_the_short_uppercase_hash():
    assert version_code("abcdef0123456789" + "0" * 48) == "ABCDEF01"


def test_an_incomplete_package_names_the_missing_parts():
    present = dict.fromkeys(PART_LABELS, True) | {"work_summary": False, "review_summary": False}
    with pytest.raises(StateConflictError) as refused:
        ensure_complete(present)
    assert "质量管理小组成果评审汇总表" in str(refused.value)
    assert "年度质量管理小组活动工作总结" in str(refused.value)
    assert "推荐表" not in str(refused.value).split("缺少：")[1]


def test_a_docx_with_broken_xml_is_refused_not_crashed():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("word/document.xml", "<w:document")
    with pytest.raises(InvalidInputError, match="工作总结"):
        check_summary(buffer.getvalue())


@settings(max_examples=60, deadline=None)
@given(garbage=st.binary(max_size=400), prefix=st.sampled_from([b"%PDF-1.7\n", b"PK\x03\x04", b""]))
def test_any_bytes_are_either_accepted_or_refused_with_a_message(garbage: bytes, prefix: bytes):
    for check in (
        lambda data: check_scan(data, expected_pages=1, unit_name="西藏", code="ABCD1234"),
        check_summary,
    ):
        message = "accepted"
        try:
            check(prefix + garbage)
        except InvalidInputError as refused:
            message = refused.message
        assert message
