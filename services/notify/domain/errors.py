"""Errors notify's API reports: each carries its HTTP status and a Chinese message."""

from __future__ import annotations


class NotifyError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(NotifyError):
    status_code = 404


class ForbiddenError(NotifyError):
    status_code = 403


class InvalidInputError(NotifyError):
    status_code = 422


class ConflictError(NotifyError):
    status_code = 409
