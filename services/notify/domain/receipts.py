"""The submission receipt (回执): Chinese subject, text and HTML, links to the documents."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

FORMAT_LABELS = {"pdf": "PDF（打印盖章用）", "docx": "Word（不需盖章）"}


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def submission_receipt(
    *,
    applicant_name: str,
    certificate_line: str,
    topic_name: str,
    revision: int,
    submitted_at_text: str,
    status_url: str,
    document_urls: dict[str, str],
) -> Message:
    again = f"（第{revision}次提交）" if revision > 1 else ""
    subject = f"【qcflow】申报回执：{certificate_line}《{topic_name}》{again}"
    lines = [
        f"{applicant_name}，您好：",
        "",
        f"您的全国优秀质量管理小组申报已于 {submitted_at_text}（北京时间）提交成功{again}。",
        f"证书名称（企业名称 + 小组名称）：{certificate_line}",
        f"课题名称：{topic_name}",
        "",
        "系统已生成申报表，请下载 PDF 版加盖公章后上传：",
        *[f"  {FORMAT_LABELS.get(fmt, fmt)}：{url}" for fmt, url in sorted(document_urls.items())],
        "",
        f"查看申报状态：{status_url}",
        "",
        "本邮件由系统自动发送，请勿直接回复。全国优秀质量管理小组申报不收取任何费用。",
    ]
    links = "".join(
        f'<li><a href="{escape(url)}">{escape(FORMAT_LABELS.get(fmt, fmt))}</a></li>'
        for fmt, url in sorted(document_urls.items())
    )
    html = (
        f"<p>{escape(applicant_name)}，您好：</p>"
        f"<p>您的全国优秀质量管理小组申报已于 {escape(submitted_at_text)}（北京时间）提交成功"
        f"{escape(again)}。</p>"
        f"<p>证书名称：<strong>{escape(certificate_line)}</strong><br>"
        f"课题名称：{escape(topic_name)}</p>"
        f"<p>系统已生成申报表，请下载 PDF 版加盖公章后上传：</p><ul>{links}</ul>"
        f'<p><a href="{escape(status_url)}">查看申报状态</a></p>'
        "<p>本邮件由系统自动发送，请勿直接回复。全国优秀质量管理小组申报不收取任何费用。</p>"
    )
    return Message(subject=subject, text="\n".join(lines), html=html)
