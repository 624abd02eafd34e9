"""The ``/auth`` endpoints: log in, refresh, log out.

Token responses carry ``Cache-Control: no-store``: a token must never sit in a cache.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from neodyme.core.exceptions import TooManyRequestsError
from neodyme.core.problems import problem_responses
from neodyme.dependencies import AuthServiceDep, LoginLimiterDep
from neodyme.models.token import RefreshRequest, TokenPair

router = APIRouter(prefix="/auth", tags=["auth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def forbid_caching(response: Response) -> None:
    response.headers.update(NO_STORE)


@router.post(
    "/token",
    response_model=TokenPair,
    dependencies=[Depends(forbid_caching)],
    responses=problem_responses(400, 401, 413, 422, 429, 503),
)
async def log_in(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    auth: AuthServiceDep,
    limiter: LoginLimiterDep,
) -> TokenPair:
    """OAuth2 password flow: a form (`application/x-www-form-urlencoded`, not JSON) with
    `username`, the email address, and `password`.

    Repeated failures for one email, or from one client, are refused with 429 for a while,
    whether or not the next password is right.
    """
    email = form.username.strip().lower()
    keys = [f"email:{email}", f"client:{request.client.host if request.client else '-'}"]
    waits = [wait for key in keys if (wait := limiter.retry_after(key)) is not None]
    if waits:
        raise TooManyRequestsError(retry_after=max(waits))
    # Count the attempt as a failure before the slow password check, so that guesses sent in
    # parallel are counted too; a success takes it back.
    for key in keys:
        limiter.record_failure(key)
    user = await auth.authenticate(email, form.password)
    limiter.reset(keys[0])
    limiter.forgive_one(keys[1])
    return await auth.issue_tokens(user)


@router.post(
    "/refresh",
    response_model=TokenPair,
    dependencies=[Depends(forbid_caching)],
    responses=problem_responses(400, 401, 413, 422, 503),
)
async def refresh(body: RefreshRequest, auth: AuthServiceDep) -> TokenPair:
    """A new token pair for a live refresh token, which stops working (rotation).

    A refresh token presented again after it was used means it was copied: every token of
    that login is revoked, and whoever holds one must log in again.
    """
    return await auth.rotate(body.refresh_token)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(400, 401, 413, 422, 503),
)
async def log_out(body: RefreshRequest, auth: AuthServiceDep) -> None:
    """Revoke a refresh token and the login it belongs to, sent in the JSON body:
    `{"refresh_token": "..."}`.

    The access token is not needed: the refresh token is what logging out takes away.
    """
    await auth.revoke(body.refresh_token)
