import pytest

from services.intake.domain.errors import InvalidFileError
from services.intake.domain.zip_directory import ensure_safe_office_zip, read_directory
from tests.intake.hostile_files import symlink_docx, valid_docx, zip_bomb_docx, zip_slip_docx


def test_read_directory_lists_the_entries_of_a_real_docx():
    data = valid_docx()
    names = [entry.name for entry in read_directory(data, len(data))]
    assert "[Content_Types].xml" in names
    assert "word/document.xml" in names


def test_read_directory_works_from_the_tail_only():
    data = valid_docx()
    tail = data[-4096:]
    assert [e.name for e in read_directory(tail, len(data))] == [
        e.name for e in read_directory(data, len(data))
    ]


def test_a_real_docx_is_safe():
    data = valid_docx()
    ensure_safe_office_zip(data, len(data))


@pytest.mark.parametrize(
    ("build", "expected_words"),
    [
        (zip_bomb_docx, "压缩比异常"),
        (zip_slip_docx, "越出文档目录"),
        (symlink_docx, "符号链接"),
    ],
)
def test_hostile_zips_are_refused_with_the_reason(build, expected_words: str):
    data = build()
    with pytest.raises(InvalidFileError) as refused:
        ensure_safe_office_zip(data, len(data))
    assert expected_words in refused.value.message


def test_a_truncated_zip_is_refused():
    data = valid_docx()[:-30]
    with pytest.raises(InvalidFileError):
        ensure_safe_office_zip(data, len(data))
