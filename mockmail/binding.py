"""Request parameters bound the way the ONLYOFFICE API framework (``ApiArgumentBuilder``) binds them.

Parameters come from the query string, then the body; names match case-insensitively and
the first value wins, so the query string wins on duplicates. Every value is a string until
it is converted, with the .NET parsers' rules and messages. Every check here runs in time
linear in its input: a request body is the client's to choose.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from mockmail.errors import (
    BAD_EMAIL_MESSAGE,
    EMPTY_ADDRESS_MESSAGE,
    EMPTY_EMAIL_MESSAGE,
    HRESULT_ARGUMENT,
    HRESULT_EXCEPTION,
    HRESULT_FORMAT,
    HRESULT_OVERFLOW,
    HRESULT_XML,
    ApiError,
    argument_error,
    argument_null,
)
from mockmail.json_reader import read_json
from mockmail.models import ENCRYPTION_TYPES, SASL_MECHANISMS, AccountUpdate, NewAccount
from mockmail.signatures import (
    CREATE_ACCOUNT,
    CREATE_ACCOUNT_SIMPLE,
    DELETE_ACCOUNT,
    GET_ACCOUNT,
    GET_ACCOUNT_DEFAULTS,
    SET_ACCOUNT_ENABLE,
    SET_DEFAULT_ACCOUNT,
    SET_EMAIL_IN_FOLDER,
    UPDATE_ACCOUNT,
    UPDATE_USER_ACTIVITY,
    Method,
    ParamType,
)
from mockmail.xml_text import xml_char_error

Params = Mapping[str, str]

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT32_DIGITS = 10  # more significant digits than this always overflow
_DECIMAL = re.compile(r"([+-]?)([0-9]+)")
_HEX = re.compile(r"(?:0x|&h|#)([0-9a-f]+)", re.IGNORECASE)
# What .NET's MailAddress accepts, closely enough: local@domain, bare or after a display name
# in `Name <address>` form. The character classes exclude `@`, so a match never backtracks.
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+")
# An XML declaration up to its encoding's name (group 2), after an optional UTF-8 byte order mark.
_DECLARED_ENCODING = re.compile(
    rb"""(?:\xef\xbb\xbf)?<\?xml\s+version\s*=\s*(?:"[^"]*"|'[^']*')\s+encoding\s*=\s*(["'])([^"']*)\1"""
)


def collect(*sources: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Merge parameter sources in order: lower-cased names, the first value of each name wins."""
    params: dict[str, str] = {}
    for source in sources:
        for name, value in source:
            params.setdefault(name.lower(), value)
    return params


def json_params(body: bytes) -> list[tuple[str, str]]:
    """The parameters of a JSON body, each value as the string the real server sees."""
    if not body.strip():
        return []
    document = read_json(body)
    if not isinstance(document, dict):
        raise ApiError(
            400, "XmlNodeConverter can only convert JSON that begins with an object.", HRESULT_EXCEPTION
        )
    pairs: list[tuple[str, str]] = []
    for name, value in document.items():
        # JsonConvert.DeserializeXNode makes an array a run of same-named elements.
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, _as_text(item)))
    return pairs


def xml_params(body: bytes) -> list[tuple[str, str]]:
    """The parameters of an XML body: the root element's children."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        line, column = error.position
        message = f"Data at the root level is invalid. Line {line}, position {column + 1}."
        raise ApiError(400, message, HRESULT_XML) from None
    except (LookupError, ValueError):  # an encoding Python cannot decode, or expat cannot use
        raise ApiError(400, _encoding_message(body), HRESULT_XML) from None
    return [(child.tag, "".join(child.itertext())) for child in root]


def bind(method: Method, params: Params) -> dict[str, Any]:
    """Each of ``method``'s parameters converted by its type, in the method's order; absent strings are None.

    The framework converts every argument before the method body runs, so a bad number
    fails before any check of the method's own.
    """
    return {param.name: _CONVERTERS[param.type](params.get(param.name.lower())) for param in method.params}


def parse_update(params: Params) -> AccountUpdate:
    """Bind the parameters of ``PUT /api/2.0/mail/accounts``, failing as the real server does."""
    values = bind(UPDATE_ACCOUNT, params)
    email = values.pop("email")
    if not email:
        raise ApiError(400, EMPTY_EMAIL_MESSAGE, HRESULT_ARGUMENT)
    display, address = parse_address(email)
    change = AccountUpdate(email=address_text(display, address), address=address.lower(), **values)
    _check_xml_text(change)
    return change


def parse_create(params: Params) -> NewAccount:
    """Bind ``POST /api/2.0/mail/accounts``: the email goes straight to ``new MailAddress(email)``."""
    values = bind(CREATE_ACCOUNT, params)
    display, address = mail_address(values.pop("email"))
    new = NewAccount(email=address_text(display, address), address=address.lower(), **values)
    _check_xml_text(new)
    return new


@dataclass(frozen=True, slots=True)
class SimpleAccount:
    """``POST /api/2.0/mail/accounts/simple``: the email as sent and the password for every server."""

    email: str
    password: str


def parse_simple(params: Params) -> SimpleAccount:
    """Bind ``accounts/simple``; an empty email is ``ArgumentException("Empty email", "email")``."""
    values = bind(CREATE_ACCOUNT_SIMPLE, params)
    if not values["email"]:
        raise argument_error("Empty email", "email", reason="the request names no email")
    simple = SimpleAccount(email=values["email"], password=values["password"] or "")
    _check_xml_text(simple)
    return simple


@dataclass(frozen=True, slots=True)
class NamedAccount:
    """An ``email`` parameter as sent, and the address ``MailAddress`` finds in it (case kept)."""

    sent: str
    address: str

    @property
    def key(self) -> str:
        """The address as the store keys it: lower case."""
        return self.address.lower()


def parse_delete(params: Params) -> NamedAccount:
    """Bind ``DELETE /api/2.0/mail/accounts``; no email is ``ArgumentException("Email empty", "email")``."""
    return _named(bind(DELETE_ACCOUNT, params)["email"], empty=argument_error)


def parse_single(params: Params) -> NamedAccount:
    """Bind ``GET /api/2.0/mail/accounts/single``, checked as the delete is."""
    return _named(bind(GET_ACCOUNT, params)["email"], empty=argument_error)


def parse_state(params: Params) -> tuple[NamedAccount, bool]:
    """Bind ``PUT accounts/state``: the account and whether to enable it (no email: ArgumentNullException)."""
    values = bind(SET_ACCOUNT_ENABLE, params)
    return _named(values["email"], empty=None), values["state"]


def parse_default(params: Params) -> tuple[str, bool]:
    """Bind ``PUT accounts/default``: the email lowercased (never parsed as an address) and ``isDefault``."""
    values = bind(SET_DEFAULT_ACCOUNT, params)
    if not values["email"]:
        raise argument_null("email", reason="the request names no email")
    return values["email"].lower(), values["isDefault"]


@dataclass(frozen=True, slots=True)
class SetupsQuery:
    """``GET accounts/setups``: the email as sent, as ``MailAddress`` shows it, bare; and the action."""

    sent: str
    shown: str
    address: str
    action: str | None


def parse_setups(params: Params) -> SetupsQuery:
    """Bind ``GET accounts/setups``; the email goes straight to ``new MailAddress(email)``."""
    values = bind(GET_ACCOUNT_DEFAULTS, params)
    display, address = mail_address(values["email"])
    return SetupsQuery(values["email"], address_text(display, address), address, values["action"])


def parse_email_in_folder(params: Params) -> tuple[int, str | None]:
    """Bind ``PUT accounts/emailinfolder``: a negative id is ``ArgumentNullException("mailbox_id")``."""
    values = bind(SET_EMAIL_IN_FOLDER, params)
    if values["mailbox_id"] < 0:
        raise argument_null("mailbox_id", reason="mailbox_id is negative")
    folder: str | None = values["email_in_folder"]
    message = xml_char_error(folder) if folder else None
    if message is not None:
        raise ApiError(400, message, HRESULT_ARGUMENT)
    return values["mailbox_id"], folder


def parse_user_activity(params: Params) -> bool:
    """Bind ``PUT accounts/updateuseractivity``: ``userOnline``."""
    online: bool = bind(UPDATE_USER_ACTIVITY, params)["userOnline"]
    return online


def mail_address(text: str | None) -> tuple[str, str]:
    """``new MailAddress(text)``: null and empty are 400s naming ``address``; malformed is the 500."""
    if text is None:
        raise argument_null("address", reason="the request names no email")
    if not text:
        raise argument_error(EMPTY_ADDRESS_MESSAGE, "address", reason="the request's email is empty")
    return parse_address(text)


def _named(email: str | None, *, empty: Callable[..., ApiError] | None) -> NamedAccount:
    """The method's check for an empty email, then ``new MailAddress(email)``.

    ``empty`` makes the check's ``ArgumentException``; None means ``ArgumentNullException("email")``.
    """
    if not email:
        reason = "the request names no email"
        raise empty("Email empty", "email", reason=reason) if empty else argument_null("email", reason=reason)
    return NamedAccount(sent=email, address=parse_address(email)[1])


def address_text(display: str, address: str) -> str:
    """``MailAddress.ToString()``: the address, quoted display name first when there is one."""
    return f'"{display}" <{address}>' if display else address


def parse_address(text: str) -> tuple[str, str]:
    """Split ``text`` into display name and address as ``MailAddress`` does; 500 if malformed."""
    display, address = "", text.strip()
    named = _split_named(address)
    if named is not None:
        display, address = named
    if not _ADDRESS.fullmatch(address) or ".." in address or address.endswith("."):
        raise ApiError(500, BAD_EMAIL_MESSAGE, HRESULT_FORMAT)
    return display, address


def _split_named(text: str) -> tuple[str, str] | None:
    """``Name <address>`` or ``"Name" <address>`` as (name, address), both stripped; None if not that form.

    Split by hand at the last ``<``, in one pass: a regular expression for it backtracks
    cubically on a long run of spaces.
    """
    if not text.endswith(">"):
        return None
    cut = text.rfind("<")
    address = text[cut + 1 : -1]
    if cut < 0 or ">" in address:
        return None
    display = text[:cut].strip()
    if display.startswith('"'):  # quoted: anything but a quote between the quotes
        if len(display) < 2 or not display.endswith('"') or '"' in display[1:-1]:
            return None
        display = display[1:-1]
    elif any(char in display for char in '<>"'):
        return None
    return display.strip(), address.strip()


def _check_xml_text(change: AccountUpdate | NewAccount | SimpleAccount) -> None:
    """Refuse text the XML answers could not carry, with the error .NET's ``XmlWriter`` gives for it.

    Stored or echoed, it would break the ``.xml`` answers about the account; refused, nothing changes.
    """
    texts = [
        value for field in dataclasses.fields(change) if isinstance(value := getattr(change, field.name), str)
    ]
    if xml_char_error("".join(texts)) is None:
        return  # one search over all of them: the common case
    for value in texts:
        message = xml_char_error(value)
        if message is not None:
            raise ApiError(400, message, HRESULT_ARGUMENT)


def to_int(value: str | None) -> int:
    """Int32Converter: decimal or hex digits; empty means 0."""
    text = (value or "").strip()
    if not text:
        return 0
    hexadecimal = _HEX.fullmatch(text)
    decimal = None if hexadecimal else _DECIMAL.fullmatch(text)
    if hexadecimal:
        sign, digits, base = "", hexadecimal.group(1), 16
    elif decimal:
        sign, digits, base = decimal.group(1), decimal.group(2), 10
    else:
        raise ApiError(400, "Input string was not in a correct format.", HRESULT_FORMAT)
    # Counted before converting: Python's int() refuses more than 4,300 decimal digits.
    digits = digits.lstrip("0") or "0"
    number = int(sign + digits, base) if len(digits) <= _INT32_DIGITS else _INT32_MAX + 1
    if not _INT32_MIN <= number <= _INT32_MAX:
        raise ApiError(400, "Value was either too large or too small for an Int32.", HRESULT_OVERFLOW)
    return number


def to_bool(value: str | None) -> bool:
    """BooleanConverter: ``true`` or ``false`` in any case; empty means false."""
    text = (value or "").strip().lower()
    if not text:
        return False
    if text not in ("true", "false"):
        raise ApiError(400, "String was not recognized as a valid Boolean.", HRESULT_FORMAT)
    return text == "true"


def to_enum(value: str | None, names: Mapping[str, int]) -> int:
    """EnumConverter: a number (even out of range) or names, comma-separated, in any case."""
    text = (value or "").strip()
    if not text:
        return 0
    if text[0].isdigit() or text[0] in "+-":
        return to_int(text)
    number = 0
    for part in text.split(","):
        key = part.strip().lower()
        if key not in names:
            raise ApiError(400, f"Requested value '{part.strip()}' was not found.", HRESULT_ARGUMENT)
        number |= names[key]
    return number


def _as_text(value: Any) -> str:
    """A JSON value as the text of the XML element Json.NET turns it into."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "".join(_as_text(item) for item in value.values())
    if isinstance(value, list):
        return "".join(_as_text(item) for item in value)
    if isinstance(value, float):
        return _net_double(value)
    return str(value)


def _net_double(value: float) -> str:
    """``XmlConvert.ToString(double)``: .NET's shortest round-trip text, ``993``, ``0.5``, ``1E+15``."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    mantissa, _, exponent = repr(value).partition("e")
    if not exponent:
        if abs(value) < 1e15:
            return mantissa  # 0.5, 123.25
        digits = mantissa.removesuffix(".0")  # a whole number of 16 or 17 digits
        exponent, mantissa = str(len(digits) - 1), digits[0] + "." + digits[1:]
    mantissa = mantissa.rstrip("0").removesuffix(".")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}E{sign}{exponent.lstrip('+-').zfill(2)}"


def _encoding_message(body: bytes) -> str:
    """``XmlTextReader``'s message for an encoding it does not know, pointing at the name."""
    declared = _DECLARED_ENCODING.match(body)
    if declared is None:
        return "Data at the root level is invalid. Line 1, position 1."
    name, position = declared.group(2).decode("latin-1"), declared.start(2) - body.find(b"<") + 1
    return f"System does not support '{name}' encoding. Line 1, position {position}."


_CONVERTERS: dict[ParamType, Callable[[str | None], Any]] = {
    ParamType.STRING: lambda text: text,
    ParamType.INT: to_int,
    ParamType.BOOL: to_bool,
    ParamType.ENCRYPTION: lambda text: to_enum(text, ENCRYPTION_TYPES),
    ParamType.SASL: lambda text: to_enum(text, SASL_MECHANISMS),
}
