"""Request parameters bound the way the ONLYOFFICE API framework (``ApiArgumentBuilder``) binds them.

Parameters come from the query string, then the body; names match case-insensitively and
the first value wins, so the query string wins on duplicates. Every value is a string until
it is converted, with the .NET parsers' rules and messages. Every check here runs in time
linear in its input: a request body is the client's to choose.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree import ElementTree

from mockmail.errors import (
    BAD_EMAIL_MESSAGE,
    EMPTY_EMAIL_MESSAGE,
    HRESULT_ARGUMENT,
    HRESULT_EXCEPTION,
    HRESULT_FORMAT,
    HRESULT_OVERFLOW,
    HRESULT_XML,
    ApiError,
)
from mockmail.json_reader import read_json
from mockmail.models import ENCRYPTION_TYPES, SASL_MECHANISMS, AccountUpdate
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


def parse_update(params: Params) -> AccountUpdate:
    """Bind the parameters of ``PUT /api/2.0/mail/accounts``, failing as the real server does.

    Conversions run first, in the method's parameter order, as the framework binds them
    before the method body checks the email.
    """
    port = to_int(params.get("port"))
    smtp_port = to_int(params.get("smtp_port"))
    smtp_auth = to_bool(params.get("smtp_auth"))
    restrict = to_bool(params.get("restrict"))
    incoming_encryption_type = to_enum(params.get("incoming_encryption_type"), ENCRYPTION_TYPES)
    outcoming_encryption_type = to_enum(params.get("outcoming_encryption_type"), ENCRYPTION_TYPES)
    auth_type_in = to_enum(params.get("auth_type_in"), SASL_MECHANISMS)
    auth_type_smtp = to_enum(params.get("auth_type_smtp"), SASL_MECHANISMS)
    email = params.get("email")
    if not email:
        raise ApiError(400, EMPTY_EMAIL_MESSAGE, HRESULT_ARGUMENT)
    display, address = parse_address(email)
    change = AccountUpdate(
        email=f'"{display}" <{address}>' if display else address,
        address=address.lower(),
        name=params.get("name"),
        account=params.get("account"),
        password=params.get("password"),
        server=params.get("server"),
        port=port,
        smtp_account=params.get("smtp_account"),
        smtp_password=params.get("smtp_password"),
        smtp_server=params.get("smtp_server"),
        smtp_port=smtp_port,
        smtp_auth=smtp_auth,
        restrict=restrict,
        incoming_encryption_type=incoming_encryption_type,
        outcoming_encryption_type=outcoming_encryption_type,
        auth_type_in=auth_type_in,
        auth_type_smtp=auth_type_smtp,
    )
    _check_xml_text(change)
    return change


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


def _check_xml_text(change: AccountUpdate) -> None:
    """Refuse text the XML answers could not carry, with the error .NET's ``XmlWriter`` gives for it.

    Stored or echoed, it would break the ``.xml`` answers about the account; refused, nothing changes.
    """
    for field in dataclasses.fields(change):
        value = getattr(change, field.name)
        message = xml_char_error(value) if isinstance(value, str) else None
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
    return str(value)


def _encoding_message(body: bytes) -> str:
    """``XmlTextReader``'s message for an encoding it does not know, pointing at the name."""
    declared = _DECLARED_ENCODING.match(body)
    if declared is None:
        return "Data at the root level is invalid. Line 1, position 1."
    name, position = declared.group(2).decode("latin-1"), declared.start(2) - body.find(b"<") + 1
    return f"System does not support '{name}' encoding. Line 1, position {position}."
