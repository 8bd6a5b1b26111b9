"""Every document render draws, with warm renderers: what runs in the render child process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal
from zoneinfo import ZoneInfo

from services.render.renderers.docx import render_application_form_docx
from services.render.renderers.docx_documents import (
    render_registration_form_docx,
    render_table_docx,
)
from services.render.renderers.package import reproducible_zip
from services.render.renderers.qr import qr_svg
from services.render.renderers.xlsx import render_table_xlsx

if TYPE_CHECKING:
    from services.render.domain.tables import FilledTable
    from services.render.renderers.pdf import PdfRenderer
    from shared.events import (
        ApplicationAwarded,
        ApplicationForm,
        CampaignForwarded,
        GroupRegistered,
    )

Format = Literal["docx", "pdf", "xlsx"]
CHINA_TIME: Final = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Renderers:
    pdf: PdfRenderer
    public_url: str = "http://127.0.0.1:8001"

    def application_form(self, form: ApplicationForm) -> dict[Format, bytes]:
        return {
            "pdf": self.pdf.render_application_form(form),
            "docx": reproducible_zip(render_application_form_docx(form)),
        }

    def registration_form(self, group: GroupRegistered) -> dict[Format, bytes]:
        label = topic_type_label(group)
        return {
            "pdf": self.pdf.render_document(
                "registration_form.html", group=group, topic_type_label=label
            ),
            "docx": render_registration_form_docx(group, label),
        }

    def certificate(self, award: ApplicationAwarded) -> dict[Format, bytes]:
        url = verify_url(self.public_url, award.certificate_serial)
        pdf = self.pdf.render_document(
            "certificate.html", award=award, verify_url=url, qr_svg=qr_svg(url)
        )
        return {"pdf": pdf}

    def forwarded_notice(self, notice: CampaignForwarded) -> dict[Format, bytes]:
        pdf = self.pdf.render_document(
            "notice.html",
            notice=notice,
            paragraphs=[line for line in notice.body.splitlines() if line.strip()],
            deadline=chinese_date(notice.deadline_at),
            issued_on=chinese_date(notice.occurred_at),
        )
        return {"pdf": pdf}

    def table(self, table: FilledTable, formats: tuple[Format, ...]) -> dict[Format, bytes]:
        outputs: dict[Format, bytes] = {}
        for file_format in dict.fromkeys(formats):
            if file_format == "pdf":
                outputs["pdf"] = self.pdf.render_document(
                    "table.html", table=table, total_width=sum(table.column_widths)
                )
            elif file_format == "docx":
                outputs["docx"] = render_table_docx(table)
            else:
                outputs["xlsx"] = render_table_xlsx(table)
        return outputs


def verify_url(public_url: str, serial: str) -> str:
    return f"{public_url.rstrip('/')}/verify/{serial}"


def chinese_date(moment: datetime) -> str:
    local = moment.astimezone(CHINA_TIME)
    return f"{local.year}年{local.month}月{local.day}日"


def topic_type_label(group: GroupRegistered) -> str:
    if group.topic is None:
        return ""
    kind = group.topic.target_kind
    return (
        f"{group.topic.topic_type.value}（{kind.value}）" if kind else group.topic.topic_type.value
    )
