"""
Applications: the token routes of the Config API and, from 1.7 on, of the public API (API-FACTS 1).

The public route requires ``grant_type: client_credentials``, as public-api-head.yaml's
``ApplicationTokenRequestWithGrant`` lists it under ``required`` (its property is misspelled
``grant-type``, which is accepted alongside and not required; API-FACTS 1.2).
"""

from __future__ import annotations

from .._auth import RequireClientCredentials
from .._errors import ApiError, internal
from .core import SINCE_050, SINCE_17, Api, Body, Reply, route


def _mint(api: Api, client_id: object, client_secret: object, *, public: bool) -> str:
    policy = api.auth
    if (
        not isinstance(policy, RequireClientCredentials)
        or api.minter is None
        or not policy.matches(client_id, client_secret)
    ):
        status = policy.reject_status if isinstance(policy, RequireClientCredentials) else 400
        if public:
            status = 400
        message = "Invalid client id or token"
        if status == 500:
            raise internal(message, "java.lang.IllegalArgumentException")
        raise ApiError(
            status,
            message,
            exception_class="io.airbyte.commons.server.errors.BadRequestException",
            known=status == 400,
        )
    return api.minter.mint(str(client_id))


def _grant_missing() -> ApiError:
    """The public API's 400 ``BadRequestProblem`` (API-FACTS 6.4) naming the grant type."""
    message = "grant_type is required and must be client_credentials"
    problem = {
        "status": 400,
        "type": "https://reference.airbyte.com/reference/errors#bad-request",
        "title": "bad-request",
        "detail": "The request could not be understood by the server due to malformed syntax.",
        "data": {"message": message},
    }
    return ApiError(400, message, exception_class="BadRequestProblem", problem=problem)


@route("/v1/applications/token", SINCE_050, public=True)
async def applications_token(api: Api, body: Body) -> Reply:
    """AccessToken for an application's client id and secret."""
    token = _mint(api, body["client_id"], body["client_secret"], public=False)
    return Reply({"access_token": token})


@route("/public/v1/applications/token", SINCE_17, public=True)
async def public_applications_token(api: Api, body: Body) -> Reply:
    """PublicAccessTokenResponse (JSON or form body); 400 without the grant type."""
    if body.get("grant_type") != "client_credentials":
        raise _grant_missing()
    token = _mint(api, body.get("client_id"), body.get("client_secret"), public=True)
    lifetime = api.minter.lifetime if api.minter is not None else 0.0
    return Reply({"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime)})
