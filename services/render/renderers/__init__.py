"""Renderers of 附件3 全国优秀质量管理小组申报表, shared by the PDF and Word outputs.

The PDF renderer lives in `services.render.renderers.pdf` and the Word one in
`services.render.renderers.docx`; they are not imported here so that a process needing only
one format does not pay for loading the other's library.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from shared.events.intake import TopicType

if TYPE_CHECKING:
    from shared.events.intake import ApplicationForm

TEMPLATE_VERSION = "application_form/2023.1"

CHECKED_BOX = "☑"
UNCHECKED_BOX = "☐"

# Applicants paste text from other documents. Exotic line separators break PDF text extraction
# (U+2028, NEL) or are not line breaks at all in HTML and Word, so they become plain newlines.
# What XML 1.0 forbids (other C0 controls, lone surrogates, U+FFFE/FFFF) is dropped: lxml
# rejects it and WeasyPrint cannot encode surrogates.
_LINE_SEPARATORS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_UNRENDERABLE = re.compile(r"[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class TopicChoice(NamedTuple):
    """One tick box of the 课题类型 row, e.g. ``☑ 问题解决型（自定目标）``."""

    box: str
    label: str


def normalize_text(text: str) -> str:
    """Make applicant text safe for XML and HTML: one kind of line break, no control codes."""
    return _UNRENDERABLE.sub("", _LINE_SEPARATORS.sub("\n", text))


def topic_type_choices(form: ApplicationForm) -> tuple[TopicChoice, ...]:
    """Every topic type in form order, ticked only for the chosen one."""
    return tuple(_topic_choice(topic_type, form) for topic_type in TopicType)


def _topic_choice(topic_type: TopicType, form: ApplicationForm) -> TopicChoice:
    if topic_type != form.topic_type:
        return TopicChoice(UNCHECKED_BOX, topic_type.value)
    # The target kind qualifies the chosen type, so its bracket follows that label only.
    if form.target_kind is None:
        return TopicChoice(CHECKED_BOX, topic_type.value)
    return TopicChoice(CHECKED_BOX, f"{topic_type.value}（{form.target_kind.value}）")


__all__ = [
    "CHECKED_BOX",
    "TEMPLATE_VERSION",
    "UNCHECKED_BOX",
    "TopicChoice",
    "normalize_text",
    "topic_type_choices",
]
