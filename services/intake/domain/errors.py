"""Intake's domain errors; the HTTP layer maps each to a status code and a Chinese message."""


class IntakeError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(IntakeError):
    status_code = 404


class ForbiddenError(IntakeError):
    status_code = 403


class TransitionNotAllowedError(IntakeError):
    status_code = 409


class InvalidFileError(IntakeError):
    status_code = 415


class FileTooLargeError(IntakeError):
    status_code = 413


class AuthenticationError(IntakeError):
    status_code = 401


class InvalidFieldError(IntakeError):
    status_code = 422


class ConflictError(IntakeError):
    status_code = 409


class TooManyAttemptsError(IntakeError):
    status_code = 429
