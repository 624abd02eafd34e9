"""The OAuth2 password form that ``POST /auth/token`` reads, with every field bounded.

FastAPI's ``OAuth2PasswordRequestForm`` takes strings of any length and content. Here
``username`` becomes a database parameter and a limiter key, so it is refused (422) before
either if it cannot be an email address: longer than 254 characters (RFC 5321's limit for a
deliverable address), or holding a control character (PostgreSQL cannot even store a NUL in
text). No form field may hold a control character.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from neodyme.models.user import NO_CONTROL_CHARACTERS

EMAIL_MAX_LENGTH = 254
PASSWORD_MAX_LENGTH = 256
"""Far above bcrypt's 72 bytes (a longer password is a plain 401), far below the body limit."""


def _no_control_characters(value: str | None) -> str | None:
    """Missing and empty fields hold none; any other must match the pattern a password obeys."""
    if value and not re.fullmatch(NO_CONTROL_CHARACTERS, value):
        raise ValueError("Control characters (such as NUL, tab or newline) are not allowed")
    return value


NoControlCharacters = AfterValidator(_no_control_characters)


class LoginForm(BaseModel):
    """`username` (the email address) and `password`; the other OAuth2 fields are optional."""

    grant_type: Annotated[str | None, Field(pattern="^password$")] = None
    username: Annotated[str, Field(max_length=EMAIL_MAX_LENGTH), NoControlCharacters]
    password: Annotated[str, Field(max_length=PASSWORD_MAX_LENGTH), NoControlCharacters]
    scope: Annotated[str, Field(max_length=1024), NoControlCharacters] = ""
    client_id: Annotated[str | None, Field(max_length=256), NoControlCharacters] = None
    client_secret: Annotated[str | None, Field(max_length=256), NoControlCharacters] = None
