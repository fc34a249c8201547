"""The request and answer fields that hold secrets: redacted in recordings, masked in the journal."""

SECRET_FIELDS = ("password", "smtp_password")
# Fields that carry a credential wherever they are: query parameters, body fields, XML elements.
# `token` is the real server's login answer (AuthenticationController, JSON or XML).
CREDENTIAL_FIELDS = (
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "client_secret",
    "passwd",
    "pwd",
    "session",
    "sessionid",
    "session_id",
)
