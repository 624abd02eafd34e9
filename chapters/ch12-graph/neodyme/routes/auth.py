"""The ``/auth`` endpoints: log in, refresh, log out.

Token responses carry ``Cache-Control: no-store``: a token must never sit in a cache.
"""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Response, status

from neodyme.dependencies import AttemptsDep, AuthServiceDep
from neodyme.models.login import LoginForm
from neodyme.models.token import RefreshRequest, TokenPair
from neodyme.web.problems import problem_responses

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
    form: Annotated[LoginForm, Form()],
    auth: AuthServiceDep,
    attempts: AttemptsDep,
    background: BackgroundTasks,
) -> TokenPair:
    """OAuth2 password flow: a form (`application/x-www-form-urlencoded`, not JSON) with
    `username`, the email address, and `password`.

    Repeated failures are refused with 429 for a while, whether or not the next password is
    right: 5 for one account from one client, 20 for one account from anywhere, 100 from one
    client for any accounts, within 15 minutes.
    """
    user = await auth.authenticate(form.username.strip().lower(), form.password, attempts)
    # Bookkeeping the client does not wait for: it runs once the response has been sent.
    background.add_task(auth.record_login, user.id)
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
