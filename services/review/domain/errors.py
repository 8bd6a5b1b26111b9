"""Review's domain errors; the HTTP layer maps each to a status code and a Chinese message."""


class ReviewError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ReviewError):
    status_code = 404


class ForbiddenError(ReviewError):
    status_code = 403


class StateConflictError(ReviewError):
    """The entry is not in a state that allows this action."""

    status_code = 409


class InvalidInputError(ReviewError):
    status_code = 422


class DeadlinePassedError(ReviewError):
    status_code = 409
