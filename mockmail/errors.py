"""mockmail's exceptions, each a MockmailError, and the errors the mocked API answers as the real one does."""

from __future__ import annotations

from collections.abc import Iterable

# hresult values of the .NET exceptions behind each error; ErrorWrapper sends the innermost one's.
HRESULT_EXCEPTION = -2146233088
HRESULT_SYSTEM = -2146233087
HRESULT_ARGUMENT = -2147024809
HRESULT_FORMAT = -2146233033
HRESULT_OVERFLOW = -2146233066
HRESULT_HTTP = -2147467259
HRESULT_XML = -2146232000  # XmlException
HRESULT_NULL = -2147467261  # ArgumentNullException and NullReferenceException (E_POINTER)

GENERIC_MESSAGE = "Some unexpected error has occurred. Please try again later."
EMPTY_EMAIL_MESSAGE = "Value does not fall within the expected range."
BAD_EMAIL_MESSAGE = "The specified string is not in the form required for an e-mail address."
# ArgumentException(message, paramName).Message on the server's runtime (Mono): the name on a line of its own.
PARAMETER_LINE = "\nParameter name: {}"
NULL_VALUE_MESSAGE = "Value cannot be null."  # ArgumentNullException(paramName)
EMPTY_ADDRESS_MESSAGE = "The parameter 'address' cannot be an empty string."  # new MailAddress("")
ACCOUNT_NOT_FOUND_MESSAGE = "Account not found"  # MailApi.SetDefaultAccount
ENABLE_FAILED_MESSAGE = "EnableMaibox failed."  # MailApi.SetAccountEnable; the typo is the real one
REMOVE_RUNNING_MESSAGE = "Remove mailbox operation already running."  # OperationEngine.RemoveMailbox
CANNOT_DELETE_MESSAGE = "Mailbox with specified email can't be deleted"  # MailApi.DeleteAccount

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


class MockmailError(Exception):
    """The base of every exception mockmail raises: ``except MockmailError`` catches them all."""


class UnknownName(MockmailError, KeyError):
    """A user, account or fault looked up by a name there is none of; the message lists the names there are.

    Still a ``KeyError``, as these lookups raised before, so code catching that keeps working.
    """

    noun = "name"
    place = ""  # where the name was looked for: " in the scenario"

    def __init__(self, name: str, known: Iterable[str] = ()) -> None:
        self.name = name
        self.known = tuple(known)
        listed = ", ".join(self.known) if self.known else "none"
        super().__init__(f"no {self.noun} {name!r}{self.place}; {self.noun}s: {listed}")

    def __str__(self) -> str:
        return str(self.args[0])  # KeyError's own would wrap the message in quotes

    def __reduce__(self) -> tuple[type[UnknownName], tuple[str, tuple[str, ...]]]:
        return type(self), (self.name, self.known)


class UnknownUser(UnknownName):
    """No user of that name in the scenario."""

    noun = "user"
    place = " in the scenario"


class UnknownAccount(UnknownName):
    """No account with that email, whoever's, in the scenario."""

    noun = "account"
    place = " in the scenario"


class UnknownFault(UnknownName):
    """No fault of that name on the server."""

    noun = "fault"


class MissingPackage(MockmailError, ModuleNotFoundError):
    """An optional package a method needs is not installed; the message says what to install."""

    def __init__(self, package: str, needed_by: str) -> None:
        super().__init__(
            f"{needed_by} needs {package}, which is not installed: pip install {package} "
            "(mockmail's test extra, pip install 'mockmail[test]', brings it too)",
            name=package,
        )
        self.package = package


class ApiError(MockmailError):
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


class Unauthorized(MockmailError):
    """The request carries no valid credentials: the plain-text 401."""


def generic_error(reason: str | None = None) -> ApiError:
    """The 500 the real server gives for any engine failure (unknown or built-in mailbox, ...)."""
    return ApiError(500, GENERIC_MESSAGE, HRESULT_EXCEPTION, reason=reason)


def argument_error(message: str, parameter: str, *, reason: str | None = None) -> ApiError:
    """``new ArgumentException(message, parameter)``: a 400 naming the parameter."""
    return ApiError(400, message + PARAMETER_LINE.format(parameter), HRESULT_ARGUMENT, reason=reason)


def argument_null(parameter: str, *, reason: str | None = None) -> ApiError:
    """``new ArgumentNullException(parameter)``: a 400."""
    return ApiError(400, NULL_VALUE_MESSAGE + PARAMETER_LINE.format(parameter), HRESULT_NULL, reason=reason)


def account_not_found_by_email(email: str, *, reason: str) -> ApiError:
    """``NullReferenceException("Account wasn't found by email: ...")``: a 500."""
    return ApiError(500, f"Account wasn't found by email: {email}", HRESULT_NULL, reason=reason)
