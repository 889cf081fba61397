"""moto hook points for the API and identity edge (API Gateway, Cognito).

They are declared here as plain data and merged into :data:`dojo.cloud._hooks.HOOKS`, so
:func:`~dojo.cloud.check_hooks` verifies them and :class:`~dojo.cloud._hooks.Patches` installs
them like every other hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["EDGE_HOOK_SPECS", "edge_replacements"]

EDGE_HOOK_SPECS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "moto.apigateway.models",
        "RestAPI.update_integration_mocks",
        ("self", "stage_name"),
        "stop moto registering exact-path callbacks; the cloud's API router answers instead",
    ),
    (
        "moto.apigateway.models",
        "APIGatewayBackend.create_authorizer",
        ("self", "restapi_id", "name", "authorizer_type"),
        "keep identityValidationExpression (moto 5.2.5 drops it: a misspelt keyword)",
    ),
    (
        "moto.cognitoidp.models",
        "CognitoIdpBackend.sign_up",
        ("self", "client_id", "username", "password", "attributes"),
        "run the PreSignUp (and PostConfirmation on auto-confirm) trigger",
    ),
    (
        "moto.cognitoidp.models",
        "CognitoIdpBackend.confirm_sign_up",
        ("self", "client_id", "username"),
        "run the PostConfirmation trigger",
    ),
    (
        "moto.cognitoidp.models",
        "CognitoIdpBackend.admin_confirm_sign_up",
        ("self", "user_pool_id", "username"),
        "run the PostConfirmation trigger",
    ),
    (
        "moto.cognitoidp.models",
        "CognitoIdpUserPool.create_jwt",
        ("self", "client_id", "username", "token_use", "expires_in", "extra_data"),
        "run the PreTokenGeneration trigger on ID tokens",
    ),
)
"""(module, qualname, parameters, why) of every edge hook."""


def edge_replacements(cloud: LocalCloud) -> dict[str, Callable[[Any], Any]]:
    """Replacement factories (original → replacement) keyed by qualname."""
    from ._cognito import Triggers

    triggers = Triggers(cloud)

    def update_integration_mocks(original: Any) -> Any:
        def update(self: Any, stage_name: str) -> None:
            return None  # requests reach the cloud's router through one pattern callback

        return update

    def create_authorizer(original: Any) -> Any:
        def replacement(
            self: Any, restapi_id: str, name: str, authorizer_type: str, **kwargs: Any
        ) -> Any:
            authorizer = original(self, restapi_id, name, authorizer_type, **kwargs)
            expression = kwargs.get("identiy_validation_expression") or kwargs.get(
                "identity_validation_expression"
            )
            if expression and not authorizer.identity_validation_expression:
                authorizer.identity_validation_expression = expression
            return authorizer

        return replacement

    def sign_up(original: Any) -> Any:
        def replacement(
            self: Any, client_id: str, username: str, password: str, attributes: Any
        ) -> Any:
            return triggers.sign_up(original, self, client_id, username, password, attributes)

        return replacement

    def confirm_sign_up(original: Any) -> Any:
        def replacement(self: Any, client_id: str, username: str) -> str:
            answer = original(self, client_id, username)
            triggers.confirmed(self, None, client_id, username)
            return str(answer)

        return replacement

    def admin_confirm_sign_up(original: Any) -> Any:
        def replacement(self: Any, user_pool_id: str, username: str) -> str:
            answer = original(self, user_pool_id, username)
            triggers.confirmed(self, user_pool_id, None, username)
            return str(answer)

        return replacement

    def create_jwt(original: Any) -> Any:
        def replacement(
            self: Any,
            client_id: str,
            username: str,
            token_use: str,
            expires_in: int = 3600,
            extra_data: dict[str, Any] | None = None,
        ) -> Any:
            if token_use == "id":
                extra_data = triggers.token_claims(self, client_id, username, extra_data or {})
            return original(self, client_id, username, token_use, expires_in, extra_data)

        return replacement

    return {
        "RestAPI.update_integration_mocks": update_integration_mocks,
        "APIGatewayBackend.create_authorizer": create_authorizer,
        "CognitoIdpBackend.sign_up": sign_up,
        "CognitoIdpBackend.confirm_sign_up": confirm_sign_up,
        "CognitoIdpBackend.admin_confirm_sign_up": admin_confirm_sign_up,
        "CognitoIdpUserPool.create_jwt": create_jwt,
    }
