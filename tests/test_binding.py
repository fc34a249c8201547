"""The .NET binding rules, without HTTP: conversions, merging, JSON and XML bodies, bounds on bad input."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockmail.binding import (
    collect,
    json_params,
    parse_address,
    parse_update,
    to_bool,
    to_enum,
    to_int,
    xml_params,
)
from mockmail.errors import ApiError
from mockmail.models import ENCRYPTION_TYPES, SASL_MECHANISMS
from mockmail.xml_text import xml_char_error


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


@pytest.mark.parametrize(
    "text",
    [
        " " * 4000 + "x",  # the attack: the old display-name regex took seconds on this
        " " * 4000 + "<" + " " * 4000 + "x@y.z" + " " * 4000,
        "<" * 4000,
        '"' * 4000 + "<x@y.z>",
        "a" * 4000 + "@" + "b" * 4000 + "@",
    ],
)
def test_the_address_check_takes_linear_time(text):
    started = time.perf_counter()
    with pytest.raises(ApiError):
        parse_address(text)
    assert time.perf_counter() - started < 0.1


# The display-name grammar the hand-written split replaced, kept as its specification.
_NAMED_GRAMMAR = re.compile(r'\s*(?:"([^"]*)"|([^<>"]*?))\s*<([^<>]*)>\s*')


def _by_grammar(text: str) -> tuple[str, str] | None:
    named = _NAMED_GRAMMAR.fullmatch(text)
    display, address = "", text.strip()
    if named:
        display = (named.group(1) if named.group(1) is not None else named.group(2)).strip()
        address = named.group(3).strip()
    if not re.fullmatch(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+", address) or ".." in address:
        return None
    return None if address.endswith(".") else (display, address)


@settings(max_examples=2000, derandomize=True, database=None, deadline=None)
@given(st.text(alphabet=' \t\u00a0"<>a@.', max_size=12))
def test_the_hand_split_agrees_with_the_display_name_grammar(text):
    try:
        parsed: tuple[str, str] | None = parse_address(text)
    except ApiError:
        parsed = None
    assert parsed == _by_grammar(text)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0" * 5000 + "42", 42),  # leading zeros are not digits that count
        ("-" + "0" * 5000, 0),
        ("0x" + "0" * 5000 + "1F", 31),
    ],
)
def test_int_reads_long_runs_of_leading_zeros(text, number):
    assert to_int(text) == number


@pytest.mark.parametrize("text", ["9" * 5000, "-" + "9" * 5000, "0x" + "F" * 5000, "00000000002147483648"])
def test_int_of_any_length_overflows_with_the_net_message(text):
    # Python's int() refuses more than 4,300 digits; Int32Converter just overflows.
    assert message_of(to_int, text) == "Value was either too large or too small for an Int32."
    assert (
        message_of(to_enum, text, SASL_MECHANISMS) == "Value was either too large or too small for an Int32."
    )


def test_a_json_integer_of_any_length_stays_its_digits():
    assert json_params(b'{"port": ' + b"9" * 5000 + b', "x": -0}') == [("port", "9" * 5000), ("x", "0")]


def nested_objects(depth: int, key: str = "a") -> bytes:
    return (f'{{"{key}":' * depth + "1" + "}" * depth).encode()


def test_json_nested_as_deep_as_json_nets_max_depth_reads():
    assert json_params(nested_objects(64)) == [("a", "1")]


def test_json_nested_deeper_is_json_nets_max_depth_message():
    path = ".".join(["a"] * 64)
    assert message_of(json_params, nested_objects(65)) == (
        f"The reader's MaxDepth of 64 has been exceeded. Path '{path}', line 1, position 321."
    )
    assert message_of(json_params, nested_objects(100_000)).startswith("The reader's MaxDepth of 64")


def test_the_max_depth_path_shows_array_indexes_and_quotes_odd_names():
    body = '{"it\'s":[1,2,\n' + "[" * 62 + "{"
    assert message_of(json_params, body.encode()) == (
        "The reader's MaxDepth of 64 has been exceeded. Path '['it\\'s'][2]"
        + "[0]" * 62
        + "', line 2, position 63."
    )


def test_brackets_in_strings_do_not_count_towards_the_depth():
    assert json_params(b'{"a": "' + b"[" * 100 + b'"}') == [("a", "[" * 100)]


def test_an_error_before_the_depth_limit_is_the_one_reported():
    body = b'{"a": x, "b":' + b"[" * 100
    assert message_of(json_params, body).startswith(
        "Unexpected character encountered while parsing value: x."
    )


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        (
            '<?xml version="1.0" encoding="bogus"?>',
            "System does not support 'bogus' encoding. Line 1, position 31.",
        ),
        (
            "<?xml version='1.0'  encoding='rot13'?>",
            "System does not support 'rot13' encoding. Line 1, position 32.",
        ),
        (
            '\ufeff<?xml version="1.0" encoding="shift_jis"?>',
            "System does not support 'shift_jis' encoding. Line 1, position 31.",
        ),
    ],
)
def test_an_xml_encoding_python_cannot_read_is_xmltextreaders_400(declaration, message):
    with pytest.raises(ApiError) as raised:
        xml_params(declaration.encode() + b"<request><email>a@b.c</email></request>")
    assert (raised.value.status, raised.value.message, raised.value.hresult) == (400, message, -2146232000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\x01b", "'\x01', hexadecimal value 0x01, is an invalid character."),
        ("\x00", "'.', hexadecimal value 0x00, is an invalid character."),
        ("\x1f", "'\x1f', hexadecimal value 0x1F, is an invalid character."),
        ("\ufffe", "'\ufffe', hexadecimal value 0xFFFE, is an invalid character."),
        ("\udc00", "'\udc00', hexadecimal value 0xDC00, is an invalid character."),
        ("x\ud800", "The surrogate pair is invalid. Missing a low surrogate character."),
        (
            "\ud800a",
            "The surrogate pair (0xD800, 0x61) is invalid. A high surrogate character (0xD800 - 0xDBFF) "
            "must always be paired with a low surrogate character (0xDC00 - 0xDFFF).",
        ),
    ],
)
def test_text_xml_cannot_carry_gets_xmlwriters_message(text, message):
    assert xml_char_error(text) == message


def test_text_xml_can_carry_passes():
    assert xml_char_error("tab\t cr\r lf\n é 😀 \ufffd") is None


@pytest.mark.parametrize("field", ["name", "email", "account", "password", "server", "smtp_server"])
def test_an_update_refuses_text_xml_cannot_carry(field):
    params = {
        "email": "alice@example.com",
        field: "x\x02" if field != "email" else '"A\x02" <alice@example.com>',
    }
    with pytest.raises(ApiError) as raised:
        parse_update(params)
    assert (raised.value.status, raised.value.hresult) == (400, -2147024809)
    assert raised.value.message == "'\x02', hexadecimal value 0x02, is an invalid character."
