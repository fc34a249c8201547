"""Text XML 1.0 can carry: the check .NET's ``XmlWriter`` makes, and the stand-in mockmail writes instead."""

from __future__ import annotations

import re

# Everything outside XML 1.0's Char production: C0 controls but tab, LF and CR; lone surrogates
# (a Python str holds a valid pair as one character); U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def xml_char_error(text: str) -> str | None:
    """The message ``XmlConvert.VerifyCharData`` gives for the first character XML cannot carry, or None."""
    found = _NOT_XML.search(text)
    if found is None:
        return None
    char, after = found.group(), text[found.end() : found.end() + 1]
    if "\ud800" <= char <= "\udbff":
        if not after:
            return "The surrogate pair is invalid. Missing a low surrogate character."
        # .NET strings are UTF-16: a character beyond the BMP starts with its high surrogate.
        low = ord(after) if ord(after) <= 0xFFFF else 0xD800 + ((ord(after) - 0x10000) >> 10)
        return (
            f"The surrogate pair (0x{ord(char):X}, 0x{low:X}) is invalid. A high surrogate character "
            "(0xD800 - 0xDBFF) must always be paired with a low surrogate character (0xDC00 - 0xDFFF)."
        )
    shown = "." if char == "\x00" else char  # XmlException.BuildCharExceptionArgs never shows a NUL
    return f"'{shown}', hexadecimal value 0x{ord(char):02X}, is an invalid character."


def xml_safe(text: str) -> str:
    """``text`` with every character XML cannot carry replaced by U+FFFD, so the document parses."""
    return _NOT_XML.sub(REPLACEMENT, text)
