"""
Applications: the token routes of the Config API and, from 1.7 on, of the public API (API-FACTS 1).

The public route never reads the grant: ``grant_type``, ``grant-type``, another grant or none
all mint a token for the right credentials. Airbyte passes only the client id and secret on
(airbytehq/airbyte-platform @0bfb1002 ``ApplicationsController.publicGetAccessToken``), and
public-api-head.yaml's ``ApplicationTokenRequestWithGrant`` declares ``grant-type`` while its
``required`` names ``grant_type``, no property, so the generated model requires neither
(API-FACTS 1.2).
"""

from __future__ import annotations

from .._auth import RequireClientCredentials
from .._errors import ApiError, internal
from .core import SINCE_050, SINCE_17, Api, Body, Reply, route


def _mint(api: Api, client_id: object, client_secret: object) -> str:
    policy = api.auth
    if (
        not isinstance(policy, RequireClientCredentials)
        or api.minter is None
        or not policy.matches(client_id, client_secret)
    ):
        # Both routes call the same ApplicationService.getToken, and neither catches: the same
        # handlers answer (airbytehq/airbyte-platform @bbf78ce1 ApplicationsController.kt).
        status = policy.reject_status if isinstance(policy, RequireClientCredentials) else 400
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


@route("/v1/applications/token", SINCE_050, public=True)
async def applications_token(api: Api, body: Body) -> Reply:
    """AccessToken for an application's client id and secret."""
    token = _mint(api, body["client_id"], body["client_secret"])
    return Reply({"access_token": token})


@route("/public/v1/applications/token", SINCE_17, public=True)
async def public_applications_token(api: Api, body: Body) -> Reply:
    """PublicAccessTokenResponse (JSON or form body), whatever grant it names, if any."""
    token = _mint(api, body.get("client_id"), body.get("client_secret"))
    lifetime = api.minter.lifetime if api.minter is not None else 0.0
    return Reply({"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime)})
