"""Errors of render, each with its HTTP status and the Chinese message a person reads."""

from __future__ import annotations


class RenderError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateInvalidError(RenderError):
    status_code = 422


class TemplateKindUnknownError(RenderError):
    status_code = 404


class NotAllowedError(RenderError):
    status_code = 403


class CellValueError(RenderError):
    """A table row holds a value its column's format cannot show: the document is unrenderable."""

    status_code = 422
