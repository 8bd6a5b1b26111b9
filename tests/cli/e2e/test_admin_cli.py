"""`qcflow admin` against intake, review and render running as real processes."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from openpyxl import Workbook, load_workbook

from tests.cli.conftest import (
    NATIONAL_ADMIN,
    UNIT_ID,
    UNIT_SECRETARY,
    credit_code,
    forward,
    login,
    new_campaign,
    run_admin,
)
from tests.support.platform import Platform, wait_for


def review_units(platform: Platform, campaign_id: str) -> dict[str, int | None]:
    units = httpx.get(
        f"{platform.url('review')}/api/units", headers=login(platform, NATIONAL_ADMIN)
    ).json()
    return {u["unit_id"]: u["quota"] for u in units if u["campaign_id"] == campaign_id}


def test_campaign_forwarding_quotas_and_a_statistics_table(platform: Platform, tmp_path: Path):
    campaign_id = new_campaign(platform)
    forwarded = forward(platform, campaign_id)
    assert forwarded.exit_code == 0, forwarded.output
    assert f"已转发 {campaign_id}" in forwarded.output
    assert "本单位截止时间" in forwarded.output
    again = forward(platform, campaign_id)
    assert again.exit_code == 1
    assert "本单位已转发过该通知" in again.output

    wait_for(lambda: UNIT_ID in review_units(platform, campaign_id), 30)
    single = run_admin(
        platform, NATIONAL_ADMIN, "set-quota", campaign_id, "--unit", UNIT_ID, "--quota", "3"
    )
    assert single.exit_code == 0, single.output
    assert review_units(platform, campaign_id)[UNIT_ID] == 3

    quotas = tmp_path / "名额.csv"
    quotas.write_text(
        f"推荐单位编号,名额\n{UNIT_ID},5\nno-such-unit,2\n{UNIT_ID},很多\n", encoding="utf-8"
    )
    batch = run_admin(platform, NATIONAL_ADMIN, "set-quota", campaign_id, "--file", str(quotas))
    assert batch.exit_code == 1
    assert "成功 1 行，失败 2 行" in batch.output
    assert "no-such-unit" in batch.output
    assert "尚未转发" in batch.output
    assert "名额：'很多' 不是非负整数" in batch.output
    assert review_units(platform, campaign_id)[UNIT_ID] == 5

    refused = run_admin(
        platform, UNIT_SECRETARY, "set-quota", campaign_id, "--unit", UNIT_ID, "--quota", "9"
    )
    assert refused.exit_code == 1
    assert review_units(platform, campaign_id)[UNIT_ID] == 5

    statistics = tmp_path / "统计.csv"
    statistics.write_text(
        "enterprise_name,employees,groups_registered,direct_benefit\n拉萨成员企业,1200,14,35.5\n",
        encoding="utf-8",
    )
    exported = run_admin(
        platform,
        UNIT_SECRETARY,
        "export-table",
        "activity_statistics",
        campaign_id,
        "--statistics",
        str(statistics),
        "--out",
        str(tmp_path / "tables"),
    )
    assert exported.exit_code == 0, exported.output
    (saved,) = (tmp_path / "tables").glob("*.xlsx")
    assert saved.name == f"活动统计表-{UNIT_ID}-{campaign_id}.xlsx"
    cells = [str(c) for row in load_workbook(saved).active.iter_rows(values_only=True) for c in row]
    assert "拉萨成员企业" in cells
    assert "1200" in cells


def test_export_refuses_bad_input_with_the_reason(platform: Platform, tmp_path: Path):
    campaign_id = new_campaign(platform)
    unknown = run_admin(platform, UNIT_SECRETARY, "export-table", "summary", campaign_id)
    assert unknown.exit_code == 1
    assert "表格类型：'summary' 无效" in unknown.output
    missing = run_admin(platform, UNIT_SECRETARY, "export-table", "recommendation", campaign_id)
    assert missing.exit_code == 1
    assert "尚未转发" in missing.output
    assert not list(tmp_path.iterdir())


def enterprises_xlsx(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业编号", "企业名称", "统一社会信用代码", "联系人", "电子邮箱"])
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def test_enterprises_import_from_xlsx_and_csv_row_by_row(platform: Platform, tmp_path: Path):
    good, bad, other = (f"ent-{uuid.uuid4().hex[:10]}" for _ in range(3))
    good_code, bad_code, other_code = credit_code(), credit_code(), credit_code()
    workbook = enterprises_xlsx(
        tmp_path / "企业.xlsx",
        [
            (good, "四川成员企业甲", good_code, "李明", "li@example.com"),
            (bad, "四川成员企业乙", bad_code, "赵六", "不是邮箱"),
        ],
    )
    first = run_admin(platform, UNIT_SECRETARY, "import", "enterprises", str(workbook))
    assert first.exit_code == 1
    assert "成功 1 行，失败 1 行" in first.output, first.output
    assert bad in first.output
    assert "电子邮箱" in first.output

    fixed = tmp_path / "企业.csv"
    fixed.write_text(
        "enterprise_id,name,credit_code,contact_name,contact_email\n"
        f"{bad},四川成员企业乙,{bad_code},赵六,zhao@example.com\n"
        f"{good},四川成员企业甲,{good_code},李明,li@example.com\n"
        f"{other},四川成员企业丙,{other_code},,\n",
        encoding="utf-8",
    )
    second = run_admin(platform, UNIT_SECRETARY, "import", "enterprises", str(fixed))
    # The bad row changed nothing before, so it goes in now; the good one is already there.
    assert "成功 2 行，失败 1 行" in second.output
    assert f"{good} 已被使用" in second.output


def test_import_refuses_what_it_cannot_read(platform: Platform, tmp_path: Path):
    headers = tmp_path / "企业.csv"
    headers.write_text("enterprise_id,name,地址\nent-x,某企业,拉萨\n", encoding="utf-8")
    unknown = run_admin(platform, UNIT_SECRETARY, "import", "enterprises", str(headers))
    assert unknown.exit_code == 1
    assert "表头：地址 不是可识别的列" in unknown.output

    other = tmp_path / "企业.txt"
    other.write_text("x", encoding="utf-8")
    assert (
        "只支持 .csv 或 .xlsx"
        in run_admin(platform, UNIT_SECRETARY, "import", "enterprises", str(other)).output
    )

    national = run_admin(platform, NATIONAL_ADMIN, "import", "enterprises", str(_one_row(tmp_path)))
    assert national.exit_code == 1
    assert "仅限推荐单位秘书处" in national.output


def _one_row(tmp_path: Path) -> Path:
    path = tmp_path / "one.csv"
    row = f"ent-{uuid.uuid4().hex[:8]},某企业,{credit_code()}"
    path.write_text(f"enterprise_id,name,credit_code\n{row}\n", encoding="utf-8")
    return path


def test_wrong_password_is_reported_in_chinese(platform: Platform):
    result = run_admin(
        platform, "nobody-at-all", "set-quota", "2023", "--unit", "x", "--quota", "1"
    )
    assert result.exit_code == 1
    assert "错误：" in result.output
    assert "Traceback" not in result.output
