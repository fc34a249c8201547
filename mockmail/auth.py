"""Who a request comes from: the real server's credential forms, in its order (`ApiRouteHandler`)."""

from __future__ import annotations

import base64
import binascii

from mockmail.models import User
from mockmail.store import AccountStore

AUTH_COOKIE = "asc_auth_key"


def identify(store: AccountStore, authorization: str | None, cookie: str | None) -> User | None:
    """The user behind the credentials, or None.

    The real server tries the ``asc_auth_key`` cookie, then the raw ``Authorization``
    value as a token, then ``Basic user:password``, then ``Bearer <token>``.
    """
    if cookie:
        user = store.user_for_token(cookie)
        if user is not None:
            return user
    if not authorization:
        return None
    user = store.user_for_token(authorization.strip())
    if user is not None:
        return user
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "basic":
        return _basic(store, credentials.strip())
    if scheme.lower() == "bearer":
        return store.user_for_token(credentials.strip())
    return None


def _basic(store: AccountStore, credentials: str) -> User | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, separator, password = decoded.partition(":")
    return store.user_for_login(name, password) if separator else None
