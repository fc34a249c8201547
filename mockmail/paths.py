"""The mocked API's paths, and how faults, replays and the fixture compare them."""

from __future__ import annotations

API_PREFIX = "/api/"
CONTROL_PREFIX = "/_mockmail/"  # mockmail's own endpoints and the workbench page
ACCOUNTS = "/api/2.0/mail/accounts"
ACCOUNTS_SIMPLE = ACCOUNTS + "/simple"
ACCOUNTS_SINGLE = ACCOUNTS + "/single"
ACCOUNTS_STATE = ACCOUNTS + "/state"
ACCOUNTS_DEFAULT = ACCOUNTS + "/default"
ACCOUNTS_SETUPS = ACCOUNTS + "/setups"
ACCOUNTS_EMAIL_IN_FOLDER = ACCOUNTS + "/emailinfolder"
ACCOUNTS_USER_ACTIVITY = ACCOUNTS + "/updateuseractivity"
AUTHENTICATION = "/api/2.0/authentication"
EXTENSIONS = (".json", ".xml", ".tml")  # the real server answers each path with these too


def normalize_path(path: str) -> str:
    """A path as it is compared: no query string, doubled slash or ``.json``/``.xml``/``.tml``."""
    path = "/" + path.split("?", 1)[0].lstrip("/")
    for suffix in EXTENSIONS:
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path
