"""One request to the mocked API, worked out once: who sent it, what it asks, what answered it.

The server's ``may_block`` check, the faults, the views and the journal all read the same
``ApiRequest``, kept in the WSGI environ: the caller is identified once, the parameters are
parsed once, and the journal records what they found.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from werkzeug.http import parse_cookie
from werkzeug.wrappers import Request

from mockmail.auth import AUTH_COOKIE, identify
from mockmail.binding import collect, json_params, parse_address, xml_params
from mockmail.errors import ApiError
from mockmail.models import User
from mockmail.paths import normalize_path
from mockmail.reasons import credentials_problem, misread_body
from mockmail.store import AccountStore
from mockmail.wsgi import BODY_LIMIT, REASON, Environ

ENVIRON_KEY = "mockmail.api_request"
JSON_START = (b"{", b"[")


class ApiRequest:
    """A request to ``/api/...``; make it with ``ApiRequest.of(environ, store)``."""

    def __init__(self, environ: Environ, store: AccountStore) -> None:
        self.environ = environ
        self.store = store
        self.started = time.perf_counter()
        self.method: str = environ.get("REQUEST_METHOD", "")
        self.path = normalize_path(environ.get("PATH_INFO", ""))  # as faults and replays compare it
        self.params: dict[str, str] | None = None  # once parsed
        self.fault: str | None = None  # the fault that answered instead of the handler
        self.misread_as: str | None = None  # "a form", "XML": how a JSON-looking body was read

    @classmethod
    def of(cls, environ: Environ, store: AccountStore) -> ApiRequest:
        """The environ's request, made on first use."""
        request: ApiRequest | None = environ.get(ENVIRON_KEY)
        if request is None:
            request = environ[ENVIRON_KEY] = cls(environ, store)
        return request

    @property
    def reason(self) -> str | None:
        """Why mockmail answered as it did (``X-Mockmail-Reason``), if it decided something."""
        # Kept in the environ: the replay, which knows no ApiRequest, gives its reasons there too.
        reason: str | None = self.environ.get(REASON)
        return reason

    @reason.setter
    def reason(self, text: str | None) -> None:
        self.environ[REASON] = text

    @property
    def raw_path(self) -> str:
        """The path as the app routes it (``//api`` made ``/api``), for the journal."""
        path: str = self.environ.get("PATH_INFO", "")
        return path

    @cached_property
    def caller(self) -> User | None:
        """The user whose credentials the request carries (cookie, token, Basic or Bearer)."""
        return identify(self.store, self.environ.get("HTTP_AUTHORIZATION"), self._cookie())

    def credentials_problem(self) -> str:
        """Why the request's credentials name no user (the 401's reason)."""
        return credentials_problem(self.store, self.environ.get("HTTP_AUTHORIZATION"), self._cookie())

    def _cookie(self) -> str | None:
        environ = self.environ
        return parse_cookie(environ["HTTP_COOKIE"]).get(AUTH_COOKIE) if "HTTP_COOKIE" in environ else None

    @property
    def user(self) -> str | None:
        """The caller's name, lower-cased, as faults match it."""
        caller = self.caller
        return caller.name.lower() if caller else None

    @cached_property
    def email(self) -> str | None:
        """The address of the account the request names, lower-cased (parses the parameters)."""
        try:
            return named_address(self.parameters())
        except ApiError:
            return None  # a body the handler will refuse names no account

    def parameters(self) -> dict[str, str]:
        """Query string first, then the body: JSON, XML, or else a form. ApiError for a bad body."""
        if self.params is None:
            environ = self.environ
            http = _BoundedRequest(environ)
            query: Any = http.args.items(multi=True) if environ.get("QUERY_STRING") else ()
            mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
            if mimetype == "application/json":
                self.params = collect(query, json_params(http.get_data()))
            elif mimetype in ("text/xml", "application/xml"):
                self._note_misread(http, "XML")
                self.params = collect(query, xml_params(http.get_data()))
            else:
                if mimetype != "multipart/form-data":  # whose body starts with its boundary
                    self._note_misread(http, "a form")
                self.params = collect(query, http.form.items(multi=True))
        return self.params

    def _note_misread(self, http: Request, read_as: str) -> None:
        """Remember a body that looks like JSON but is not read as JSON, for the reason of an error."""
        if http.get_data().lstrip()[:1] in JSON_START:
            self.misread_as = read_as

    def note_error(self, reason: str | None) -> None:
        """An error is being answered: its own reason, else a JSON body the binding did not read as JSON."""
        if self.reason is None:
            self.reason = reason or (misread_body(self.misread_as) if self.misread_as else None)


def named_address(params: Mapping[str, str]) -> str | None:
    """The address in the ``email`` parameter, lower-cased; None if there is none or it is malformed."""
    text = params.get("email")
    if not text:
        return None
    try:
        return parse_address(text)[1].lower()
    except ApiError:
        return None


class _BoundedRequest(Request):
    """Werkzeug's request, refusing a body over the limit (413) as Flask's does."""

    max_content_length = BODY_LIMIT
