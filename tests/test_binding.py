"""The .NET binding rules, without HTTP: conversions, merging, JSON and XML bodies."""

from __future__ import annotations

import pytest

from mockmail.binding import collect, json_params, parse_address, to_bool, to_enum, to_int, xml_params
from mockmail.errors import ApiError
from mockmail.models import ENCRYPTION_TYPES, SASL_MECHANISMS


def message_of(call, *args) -> str:
    with pytest.raises(ApiError) as raised:
        call(*args)
    return raised.value.message


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("993", 993),
        (" 993 ", 993),
        ("+5", 5),
        ("-1", -1),
        ("", 0),
        (None, 0),
        ("0x1F", 31),
        ("2147483647", 2147483647),
    ],
)
def test_int_accepts_what_int32converter_accepts(text, number):
    assert to_int(text) == number


def test_int_refuses_words_decimals_and_overflow():
    assert message_of(to_int, "abc") == "Input string was not in a correct format."
    assert message_of(to_int, "9.5") == "Input string was not in a correct format."
    assert message_of(to_int, "٣") == "Input string was not in a correct format."  # not an ASCII digit
    assert message_of(to_int, "2147483648") == "Value was either too large or too small for an Int32."


@pytest.mark.parametrize(("text", "value"), [("true", True), ("FALSE", False), (" True ", True), ("", False)])
def test_bool_accepts_true_and_false_in_any_case(text, value):
    assert to_bool(text) is value


@pytest.mark.parametrize("text", ["1", "on", "yes"])
def test_bool_refuses_anything_else(text):
    assert message_of(to_bool, text) == "String was not recognized as a valid Boolean."


@pytest.mark.parametrize(
    ("text", "names", "value"),
    [
        ("SSL", ENCRYPTION_TYPES, 1),
        ("starttls", ENCRYPTION_TYPES, 2),
        ("9", ENCRYPTION_TYPES, 9),  # out of range numbers pass, as in .NET
        ("Ntlm", SASL_MECHANISMS, 7),
        ("Login, CramMd5", SASL_MECHANISMS, 5),
        ("", SASL_MECHANISMS, 0),
    ],
)
def test_enum_takes_numbers_or_names(text, names, value):
    assert to_enum(text, names) == value


def test_unknown_enum_name_is_named_in_the_message():
    assert message_of(to_enum, "Plain", SASL_MECHANISMS) == "Requested value 'Plain' was not found."


def test_collect_lowercases_names_and_keeps_the_first_value():
    assert collect([("Email", "q@x.y")], [("EMAIL", "b@x.y"), ("name", "n")]) == {
        "email": "q@x.y",
        "name": "n",
    }


def test_json_values_become_the_strings_the_server_sees():
    body = b'{"port": 993, "smtp_auth": true, "name": null, "email": ["a@b.c", "d@e.f"], "x": {"y": "z"}}'
    assert json_params(body) == [
        ("port", "993"),
        ("smtp_auth", "true"),
        ("name", ""),
        ("email", "a@b.c"),
        ("email", "d@e.f"),
        ("x", "z"),
    ]


def test_xml_children_of_the_root_are_the_parameters():
    assert xml_params(b"<request><email>a@b.c</email><port>993</port></request>") == [
        ("email", "a@b.c"),
        ("port", "993"),
    ]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a@b.c", ("", "a@b.c")),
        ("  A@B.c ", ("", "A@B.c")),
        ('"Alice L" <alice@example.com>', ("Alice L", "alice@example.com")),
        ("Alice <alice@example.com>", ("Alice", "alice@example.com")),
        ("a@b", ("", "a@b")),
    ],
)
def test_addresses_parse_like_mailaddress(text, parts):
    assert parse_address(text) == parts


@pytest.mark.parametrize("text", ["foo", "a@", "@b.c", "a@@b.c", "a b@c.d", "a@b..c", "<>"])
def test_malformed_addresses_are_the_500(text):
    with pytest.raises(ApiError) as raised:
        parse_address(text)
    assert raised.value.status == 500
