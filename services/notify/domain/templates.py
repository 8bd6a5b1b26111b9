"""Message templates (subject + text + HTML, Jinja2) with their Chinese defaults.

Administrators may override a template; the stored copy wins over the default here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

FOOTER = "本邮件由 qcflow 系统自动发送，请勿直接回复。全国优秀质量管理小组申报不收取任何费用。"
FOOTER_HTML = f'<p style="color:#666">{FOOTER}</p>'


@dataclass(frozen=True)
class TemplateText:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


class TemplateRenderError(Exception):
    """An (edited) template does not render: unknown variable or bad syntax."""


_text_env = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
)
_html_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)

_GREETING = "{{ recipient_name or '您好' }}{% if recipient_name %}，您好{% endif %}：\n\n"
_GREETING_HTML = "<p>{{ recipient_name or '您好' }}{% if recipient_name %}，您好{% endif %}：</p>"
_REASONS = "{% for reason in reasons %}  {{ loop.index }}. {{ reason }}\n{% endfor %}"
_REASONS_HTML = "<ol>{% for reason in reasons %}<li>{{ reason }}</li>{% endfor %}</ol>"
_DOCS = "{% for doc in documents %}  {{ doc.label }}：{{ doc.url }}\n{% endfor %}"
_DOCS_HTML = (
    "<ul>{% for doc in documents %}"
    '<li><a href="{{ doc.url }}">{{ doc.label }}</a></li>'
    "{% endfor %}</ul>"
)
_LINK = "\n查看详情：{{ link }}\n\n" + FOOTER + "\n"
_LINK_HTML = '<p><a href="{{ link }}">查看详情</a></p>' + FOOTER_HTML


def _mail(subject: str, body: str, body_html: str) -> TemplateText:
    return TemplateText(
        subject="【qcflow】" + subject,
        text=_GREETING + body + _LINK,
        html=_GREETING_HTML + body_html + _LINK_HTML,
    )


DEFAULT_TEMPLATES: dict[str, TemplateText] = {
    "campaign_forwarded": _mail(
        "{{ unit_name }}转发申报通知：{{ title }}",
        "{{ unit_name }}已转发{{ campaign_year }}年度全国优秀质量管理小组申报通知"
        "（{{ unit_doc_number }}）。\n主题：{{ theme }}\n"
        "请于 {{ deadline_text }}（北京时间）前通过 qcflow 向{{ unit_name }}提交申报材料。\n",
        "<p>{{ unit_name }}已转发{{ campaign_year }}年度全国优秀质量管理小组申报通知"
        "（{{ unit_doc_number }}）。</p><p>主题：{{ theme }}</p>"
        "<p>请于 <strong>{{ deadline_text }}</strong>（北京时间）前提交申报材料。</p>",
    ),
    "campaign_deadline_extended": _mail(
        "申报截止时间已延长至{{ deadline_text }}：{{ unit_name }}",
        "{{ unit_name }}已将申报截止时间由 {{ previous_deadline_text }} 延长至 "
        "{{ deadline_text }}（北京时间）。\n"
        "{% if reason %}延期原因：{{ reason }}\n{% endif %}"
        "{{ enterprise_name }}如尚未提交申报，请于 {{ deadline_text }}（北京时间）前"
        "通过 qcflow 向{{ unit_name }}提交申报材料。\n",
        "<p>{{ unit_name }}已将申报截止时间由 {{ previous_deadline_text }} 延长至 "
        "<strong>{{ deadline_text }}</strong>（北京时间）。</p>"
        "{% if reason %}<p>延期原因：{{ reason }}</p>{% endif %}"
        "<p>{{ enterprise_name }}如尚未提交申报，请在新的截止时间前提交申报材料。</p>",
    ),
    "submission_receipt": TemplateText(
        subject="【qcflow】申报回执：{{ certificate_line }}《{{ topic_name }}》{{ again }}",
        text=_GREETING + "您的全国优秀质量管理小组申报已于 {{ submitted_at_text }}（北京时间）"
        "提交成功{{ again }}。\n"
        "证书名称（企业名称 + 小组名称）：{{ certificate_line }}\n课题名称：{{ topic_name }}\n\n"
        "系统已生成申报表，请下载 PDF 版加盖公章后上传：\n"
        + _DOCS
        + "\n查看申报状态：{{ link }}\n\n"
        + FOOTER
        + "\n",
        html=_GREETING_HTML
        + "<p>您的全国优秀质量管理小组申报已于 {{ submitted_at_text }}（北京时间）"
        "提交成功{{ again }}。</p>"
        "<p>证书名称：<strong>{{ certificate_line }}</strong><br>课题名称：{{ topic_name }}</p>"
        "<p>系统已生成申报表，请下载 PDF 版加盖公章后上传：</p>"
        + _DOCS_HTML
        + '<p><a href="{{ link }}">查看申报状态</a></p>'
        + FOOTER_HTML,
    ),
    "application_returned": _mail(
        "申报退回修改：{{ certificate_line }}《{{ topic_name }}》",
        "您的申报经形式审查需要修改，退回原因：\n"
        + _REASONS
        + "{% if comment %}说明：{{ comment }}\n{% endif %}"
        "请于 {{ deadline_text }}（北京时间）前修改后重新提交。\n",
        "<p>您的申报经形式审查需要修改，退回原因：</p>"
        + _REASONS_HTML
        + "{% if comment %}<p>说明：{{ comment }}</p>{% endif %}"
        "<p>请于 <strong>{{ deadline_text }}</strong>（北京时间）前修改后重新提交。</p>",
    ),
    "application_rejected": _mail(
        "申报未通过形式审查：{{ certificate_line }}《{{ topic_name }}》",
        "很遗憾，您的申报未通过形式审查，原因：\n"
        + _REASONS
        + "{% if comment %}说明：{{ comment }}\n{% endif %}",
        "<p>很遗憾，您的申报未通过形式审查，原因：</p>"
        + _REASONS_HTML
        + "{% if comment %}<p>说明：{{ comment }}</p>{% endif %}",
    ),
    "application_recommended": _mail(
        "已推荐至全国：{{ certificate_line }}《{{ topic_name }}》",
        "您的成果已由推荐单位推荐至中国质量协会参加全国评审"
        "（得分 {{ final_score }}，排名第 {{ rank }} 名）。\n",
        "<p>您的成果已由推荐单位推荐至中国质量协会参加全国评审"
        "（得分 {{ final_score }}，排名第 {{ rank }} 名）。</p>",
    ),
    "application_awarded": _mail(
        "获评{{ title }}：{{ certificate_line }}",
        "祝贺！{{ certificate_line }}的成果《{{ topic_name }}》获评{{ year }}年度{{ title }}，"
        "证书编号 {{ certificate_serial }}。证书生成后将另行通知。\n",
        "<p>祝贺！{{ certificate_line }}的成果《{{ topic_name }}》获评{{ year }}年度"
        "<strong>{{ title }}</strong>，证书编号 {{ certificate_serial }}。</p>",
    ),
    "application_not_awarded": _mail(
        "全国评审结果：{{ certificate_line }}《{{ topic_name }}》",
        "您的成果参加了本年度全国评审，未获评全国优秀质量管理小组。感谢参与。\n",
        "<p>您的成果参加了本年度全国评审，未获评全国优秀质量管理小组。感谢参与。</p>",
    ),
    "certificate_ready": _mail(
        "证书已生成：{{ certificate_line }}",
        "{{ certificate_line }}的全国优秀质量管理小组证书已生成，可下载：\n" + _DOCS,
        "<p>{{ certificate_line }}的全国优秀质量管理小组证书已生成，可下载：</p>" + _DOCS_HTML,
    ),
    "unit_disqualified": _mail(
        "推荐单位被取消推荐资格：{{ unit_name }}",
        "中国质量协会已取消{{ unit_name }}本年度的推荐资格，原因：{{ reason }}。\n"
        "经该单位推荐的申报将不再进入全国评审。如有疑问请联系中国质量协会质量活动推进部。\n",
        "<p>中国质量协会已取消{{ unit_name }}本年度的推荐资格，原因：{{ reason }}。</p>"
        "<p>经该单位推荐的申报将不再进入全国评审。</p>",
    ),
    "reviewer_assigned": _mail(
        "评审任务：{{ group_name }}《{{ topic_name }}》",
        "您被分配评审{{ level_label }}成果：{{ group_name }}《{{ topic_name }}》，"
        "请于 {{ deadline_text }}（北京时间）前完成评分。\n",
        "<p>您被分配评审{{ level_label }}成果：{{ group_name }}《{{ topic_name }}》，"
        "请于 <strong>{{ deadline_text }}</strong>（北京时间）前完成评分。</p>",
    ),
    "reminder_unit_deadline": _mail(
        "申报截止提醒（还剩{{ days_before }}天）：{{ unit_name }}",
        "{{ unit_name }}的申报截止时间为 {{ deadline_text }}（北京时间），"
        "还剩 {{ days_before }} 天。"
        "{{ enterprise_name }}尚未提交申报，请抓紧办理。\n",
        "<p>{{ unit_name }}的申报截止时间为 <strong>{{ deadline_text }}</strong>（北京时间），"
        "还剩 {{ days_before }} 天。{{ enterprise_name }}尚未提交申报，请抓紧办理。</p>",
    ),
    "reminder_draft_deadline": _mail(
        "申报表草稿尚未提交（还剩{{ days_before }}天）：{{ group_name }}",
        "您的申报表草稿尚未提交，截止时间为 {{ deadline_text }}（北京时间），"
        "还剩 {{ days_before }} 天。\n"
        "证书名称（企业名称 + 小组名称）：{{ certificate_line }}\n"
        "{% if topic_name %}课题名称：{{ topic_name }}\n{% endif %}"
        "请完善申报表并上传材料，在截止前提交给{{ unit_name }}；草稿不会自动提交，"
        "逾期将不能提交。\n",
        "<p>您的申报表草稿尚未提交，截止时间为 <strong>{{ deadline_text }}</strong>（北京时间），"
        "还剩 {{ days_before }} 天。</p>"
        "<p>证书名称：{{ certificate_line }}"
        "{% if topic_name %}<br>课题名称：{{ topic_name }}{% endif %}</p>"
        "<p>请完善申报表并上传材料，在截止前提交给{{ unit_name }}；草稿不会自动提交，"
        "逾期将不能提交。</p>",
    ),
    "reminder_national_deadline": _mail(
        "推荐材料包提交截止提醒（还剩{{ days_before }}天）：{{ unit_name }}",
        "全国推荐截止时间为 {{ deadline_text }}（北京时间），还剩 {{ days_before }} 天。"
        "{% if is_returned %}{{ unit_name }}的推荐材料包已被中国质量协会退回，尚未重新提交。"
        "{% else %}{{ unit_name }}尚未向中国质量协会提交推荐材料包。{% endif %}\n"
        "请在截止前提交推荐表盖章扫描件、成果评审汇总表、活动统计表和工作总结。\n",
        "<p>全国推荐截止时间为 <strong>{{ deadline_text }}</strong>（北京时间），"
        "还剩 {{ days_before }} 天。"
        "{% if is_returned %}{{ unit_name }}的推荐材料包已被中国质量协会退回，尚未重新提交。"
        "{% else %}{{ unit_name }}尚未向中国质量协会提交推荐材料包。{% endif %}</p>"
        "<p>请在截止前提交推荐表盖章扫描件、成果评审汇总表、活动统计表和工作总结。</p>",
    ),
    "reminder_correction_deadline": _mail(
        "修改截止提醒（还剩{{ days_before }}天）：{{ certificate_line }}",
        "退回修改的申报《{{ topic_name }}》须于 {{ deadline_text }}（北京时间）前重新提交，"
        "还剩 {{ days_before }} 天。\n",
        "<p>退回修改的申报《{{ topic_name }}》须于 <strong>{{ deadline_text }}</strong>"
        "（北京时间）前重新提交，还剩 {{ days_before }} 天。</p>",
    ),
    "reminder_scoring_overdue": _mail(
        "评分已逾期：{{ group_name }}《{{ topic_name }}》",
        "您负责的评审任务已于 {{ deadline_text }}（北京时间）到期，尚未完成评分，请尽快处理。\n",
        "<p>您负责的评审任务已于 <strong>{{ deadline_text }}</strong>（北京时间）到期，"
        "尚未完成评分，请尽快处理。</p>",
    ),
    "package_submitted": _mail(
        "推荐材料包已提交：{{ unit_name }}{{ campaign_year }}年度",
        "{{ unit_name }}{{ campaign_year }}年度的推荐材料包（第{{ revision }}次提交）已提交"
        "中国质量协会，包括推荐表盖章扫描件、成果评审汇总表、活动统计表和工作总结。\n",
        "<p>{{ unit_name }}{{ campaign_year }}年度的推荐材料包（第{{ revision }}次提交）"
        "已提交中国质量协会。</p>",
    ),
    "package_returned": _mail(
        "推荐材料包被退回修改：{{ unit_name }}{{ campaign_year }}年度",
        "中国质量协会退回了{{ unit_name }}{{ campaign_year }}年度的推荐材料包，理由如下：\n"
        + _REASONS
        + "请按要求修改后在截止时间前重新提交。\n",
        "<p>中国质量协会退回了{{ unit_name }}{{ campaign_year }}年度的推荐材料包，理由如下：</p>"
        + _REASONS_HTML
        + "<p>请按要求修改后在截止时间前重新提交。</p>",
    ),
    "package_accepted": _mail(
        "推荐材料包已接收：{{ unit_name }}{{ campaign_year }}年度",
        "中国质量协会已接收{{ unit_name }}{{ campaign_year }}年度的推荐材料包"
        "（第{{ revision }}次提交）。\n",
        "<p>中国质量协会已接收{{ unit_name }}{{ campaign_year }}年度的推荐材料包"
        "（第{{ revision }}次提交）。</p>",
    ),
    "package_reminded": _mail(
        "请提交推荐材料包：{{ unit_name }}{{ campaign_year }}年度",
        "{{ unit_name }}{{ campaign_year }}年度的推荐材料包尚未提交。全国推荐截止时间为 "
        "{{ deadline_text }}（北京时间），请在截止前提交推荐表盖章扫描件、成果评审汇总表、"
        "活动统计表和工作总结。\n{% if message %}中国质量协会留言：{{ message }}\n{% endif %}",
        "<p>{{ unit_name }}{{ campaign_year }}年度的推荐材料包尚未提交。全国推荐截止时间为 "
        "<strong>{{ deadline_text }}</strong>（北京时间），请在截止前提交。</p>"
        "{% if message %}<p>中国质量协会留言：{{ message }}</p>{% endif %}",
    ),
}

TEMPLATE_LABELS: dict[str, str] = {
    "campaign_forwarded": "推荐单位转发申报通知",
    "campaign_deadline_extended": "推荐单位延长申报截止时间",
    "submission_receipt": "申报提交回执",
    "application_returned": "退回修改",
    "application_rejected": "未通过形式审查",
    "application_recommended": "推荐至全国",
    "application_awarded": "获评全国优秀质量管理小组",
    "application_not_awarded": "未获评",
    "certificate_ready": "证书已生成",
    "unit_disqualified": "推荐单位被取消资格",
    "reviewer_assigned": "评审任务分配",
    "reminder_unit_deadline": "申报截止提醒",
    "reminder_draft_deadline": "申报表草稿未提交提醒",
    "reminder_national_deadline": "推荐材料包提交截止提醒",
    "reminder_correction_deadline": "修改截止提醒",
    "reminder_scoring_overdue": "评分逾期提醒",
    "package_submitted": "推荐材料包已提交",
    "package_returned": "推荐材料包被退回",
    "package_accepted": "推荐材料包已接收",
    "package_reminded": "推荐材料包提交提醒",
}

# Every variable any default template uses, to check an administrator's edit before saving it.
SAMPLE_CONTEXT: dict[str, Any] = {
    "recipient_name": "朗杰",
    "link": "https://qcflow.example/",
    "unit_name": "西藏自治区质量协会",
    "title": "全国优秀质量管理小组",
    "campaign_year": 2023,
    "unit_doc_number": "藏质协字（2023）6号",
    "theme": "数字赋能 激发动能 提升效能",
    "deadline_text": "2023年06月28日 17:00",
    "previous_deadline_text": "2023年06月21日 17:00",
    "enterprise_name": "国网西藏电力有限公司拉萨供电公司",
    "certificate_line": "国网西藏电力有限公司拉萨供电公司 雪域先锋QC小组",
    "group_name": "雪域先锋QC小组",
    "topic_name": "降低配电网线路故障停电时长",
    "again": "",
    "revision": 1,
    "submitted_at_text": "2023年06月20日 10:00",
    "documents": [{"label": "PDF", "url": "https://qcflow.example/doc.pdf"}],
    "reasons": ["企业名称与公章不一致"],
    "comment": "",
    "final_score": "87.25",
    "rank": 1,
    "year": 2023,
    "certificate_serial": "QC2023-0001",
    "reason": "违规收费",
    "level_label": "推荐单位",
    "days_before": 3,
    "message": "请于截止前提交",
    "is_returned": False,
}


def render(template: TemplateText, context: Mapping[str, Any]) -> Message:
    try:
        return Message(
            subject=" ".join(_compiled(template.subject).render(context).split()),
            text=_compiled(template.text).render(context),
            html=_compiled(template.html, html=True).render(context),
        )
    except TemplateError as exc:
        raise TemplateRenderError(str(exc)) from exc


@functools.lru_cache(maxsize=512)
def _compiled(source: str, *, html: bool = False) -> Template:
    """Compiled once per text: templates change rarely and are rendered for every recipient."""
    return (_html_env if html else _text_env).from_string(source)


def check_template(template: TemplateText) -> str | None:
    """None if the template renders with the sample data, else why not (for the editor)."""
    try:
        render(template, SAMPLE_CONTEXT)
    except TemplateRenderError as exc:
        return str(exc)
    return None
