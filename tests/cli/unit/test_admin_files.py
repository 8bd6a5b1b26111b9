"""Reading the operator's CSV / XLSX files and options, before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from services.admin_cli import (
    ENTERPRISE_COLUMNS,
    AdminError,
    _contacts,
    _deadline,
    check_header,
    pick,
    read_rows,
)


def test_csv_with_bom_and_chinese_headers_maps_to_fields(tmp_path: Path):
    path = tmp_path / "企业.csv"
    path.write_text("\ufeff企业编号,企业名称, 电子邮箱 \nent-a,甲企业, a@example.com \n", "utf-8")
    rows = read_rows(path)
    check_header(rows, ENTERPRISE_COLUMNS)
    assert pick(rows[0], ENTERPRISE_COLUMNS) == {
        "enterprise_id": "ent-a",
        "name": "甲企业",
        "credit_code": "",
        "contact_name": "",
        "contact_email": "a@example.com",
        "contact_mobile": "",
    }


def test_xlsx_numbers_read_as_text_and_blank_rows_skipped(tmp_path: Path):
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["unit_id", "quota"])
    sheet.append(["xizang", 3])
    sheet.append([None, None])
    sheet.append(["sichuan", 4.0])
    workbook.save(tmp_path / "q.xlsx")
    assert read_rows(tmp_path / "q.xlsx") == [
        {"unit_id": "xizang", "quota": "3"},
        {"unit_id": "sichuan", "quota": "4"},
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.txt", b"x", "只支持 .csv 或 .xlsx"),
        ("a.csv", "企业编号\n甲".encode("gbk"), "不是 UTF-8 编码"),
        ("a.xlsx", b"not a zip", "无法读取的 XLSX 文件"),
    ],
)
def test_unreadable_files_are_refused_in_chinese(
    tmp_path: Path, name: str, content: bytes, message: str
):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(AdminError, match=message):
        read_rows(tmp_path / name)


def test_missing_file_and_empty_file(tmp_path: Path):
    with pytest.raises(AdminError, match="不存在"):
        read_rows(tmp_path / "none.csv")
    (tmp_path / "empty.csv").write_text("enterprise_id,name\n", "utf-8")
    with pytest.raises(AdminError, match="没有数据行"):
        check_header(read_rows(tmp_path / "empty.csv"), ENTERPRISE_COLUMNS)


def test_contacts_and_deadlines():
    assert _contacts(["王芳，w@example.com，13800138000"]) == [
        {"name": "王芳", "email": "w@example.com", "mobile": "13800138000"}
    ]
    with pytest.raises(AdminError, match="姓名,电子邮箱"):
        _contacts(["王芳"])
    assert _deadline("2026-05-31T17:00:00+08:00", "--deadline") == "2026-05-31T17:00:00+08:00"
    with pytest.raises(AdminError, match="请写明时区"):
        _deadline("2026-05-31T17:00:00", "--deadline")
    with pytest.raises(AdminError, match="不是日期时间"):
        _deadline("明天", "--deadline")
