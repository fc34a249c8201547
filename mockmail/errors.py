"""Errors the mocked API answers with: status, .NET message and hresult, as the real server sends them."""

from __future__ import annotations

# hresult values of the .NET exceptions behind each error; ErrorWrapper sends the innermost one's.
HRESULT_EXCEPTION = -2146233088
HRESULT_SYSTEM = -2146233087
HRESULT_ARGUMENT = -2147024809
HRESULT_FORMAT = -2146233033
HRESULT_OVERFLOW = -2146233066
HRESULT_HTTP = -2147467259
HRESULT_XML = -2146232000  # XmlException

GENERIC_MESSAGE = "Some unexpected error has occurred. Please try again later."
EMPTY_EMAIL_MESSAGE = "Value does not fall within the expected range."
BAD_EMAIL_MESSAGE = "The specified string is not in the form required for an e-mail address."

# The real server's own reason phrases (ApiHttpHandlerBase.SetError); clients ignore them.
REASON_PHRASES = {
    400: "Invalid arguments",
    401: "Unauthorized",
    403: "Access denied",
    404: "The record could not be found",
}


def reason_phrase(status: int) -> str:
    """The reason phrase the real server puts on the status line for ``status``."""
    return REASON_PHRASES.get(status, "Server error" if status >= 500 else "")


class ApiError(Exception):
    """An error answered in the API's error envelope; ``reason`` says why mockmail answered it.

    The reason is mockmail's own, sent as ``X-Mockmail-Reason`` and kept in the journal; the
    envelope stays the real server's.
    """

    def __init__(
        self, status: int, message: str, hresult: int = HRESULT_EXCEPTION, *, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.hresult = hresult
        self.reason = reason


class Unauthorized(Exception):
    """The request carries no valid credentials: the plain-text 401."""


def generic_error() -> ApiError:
    """The 500 the real server gives for any engine failure (unknown or built-in mailbox, ...)."""
    return ApiError(500, GENERIC_MESSAGE, HRESULT_EXCEPTION)
