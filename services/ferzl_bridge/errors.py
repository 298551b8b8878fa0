"""Errors of a ФЕРЗЛ call. code is ФЕРЗЛ's (errorItem code or HTTP status) or ours (timeout, connection).

FerzlRejected is final: the request itself is wrong or nobody matches it (message in Russian, as
ФЕРЗЛ wrote it). FerzlUnavailable is worth retrying later. FerzlAuthError means the token is refused.
"""


class FerzlError(Exception):
    def __init__(self, code: object, message: str) -> None:
        super().__init__(code, message)
        self.code = str(code)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class FerzlRejected(FerzlError):
    """Final: 400 (format), 409 (contradictory or incorrect parameters), person not found."""


class FerzlNotFound(FerzlRejected):
    """Final: no person matches the search."""


class FerzlUnavailable(FerzlError):
    """Retryable: timeout, no connection, HTTP 5xx or 429, errorItem code 500."""


class FerzlAuthError(FerzlError):
    """HTTP 401/403 (or such an errorItem): the token is missing, wrong or expired."""
