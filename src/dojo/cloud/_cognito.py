"""Cognito user pools: token verification against the pool's JWKS, and Lambda triggers.

moto signs every user pool's tokens with one static RSA key and publishes the matching JWKS at
``https://cognito-idp.{region}.amazonaws.com/{pool_id}/.well-known/jwks.json`` (reachable with
``requests`` inside a cloud). :func:`verify_pool_token` checks a token the way an API Gateway
Cognito authorizer does: RS256 signature against that JWKS, issuer = the pool, expiry on the
cloud's fake clock.

Triggers (the pool's ``LambdaConfig``) run synchronously in the runtime:

* ``PreSignUp`` on ``SignUp`` (``PreSignUp_SignUp``) — may auto-confirm and auto-verify; a failing
  handler makes SignUp fail with ``UserLambdaValidationException``;
* ``PostConfirmation`` after ``ConfirmSignUp`` / ``AdminConfirmSignUp`` / an auto-confirmed
  sign-up (``PostConfirmation_ConfirmSignUp``);
* ``PreTokenGeneration`` before every ID token (``TokenGeneration_Authentication``; version 1
  response: ``claimsToAddOrOverride``, ``claimsToSuppress``, ``groupOverrideDetails``).

Other triggers (custom message, migration, custom auth challenges, pre-authentication, ...)
raise :class:`~dojo.cloud.LocalCloudGap` when a pool that sets them signs a user up.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ._errors import LocalCloudGap

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["jwks", "pool_arn_for_issuer", "verify_pool_token"]

_SUPPORTED_TRIGGERS = {"PreSignUp", "PostConfirmation", "PreTokenGeneration"}


@lru_cache(maxsize=1)
def jwks() -> dict[str, Any]:
    """The JWKS moto publishes for every user pool."""
    from pathlib import Path

    import moto.cognitoidp as package

    path = Path(package.__file__).parent / "resources" / "jwks-public.json.gz"
    keys: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return keys


def _issuer(pool_arn: str) -> str:
    parts = pool_arn.split(":")
    return f"https://cognito-idp.{parts[3]}.amazonaws.com/{parts[5].split('/', 1)[1]}"


def pool_arn_for_issuer(issuer: str) -> str | None:
    """The ARN of the cloud's user pool an issuer URL names, or None."""
    from moto.cognitoidp.models import cognitoidp_backends

    prefix = "https://cognito-idp."
    if not issuer.startswith(prefix):
        return None
    region, _, rest = issuer[len(prefix) :].partition(".amazonaws.com/")
    for account in list(cognitoidp_backends.keys()):
        pool = cognitoidp_backends[account][region].user_pools.get(rest.strip("/"))
        if pool is not None:
            return str(pool.arn)
    return None


def verify_pool_token(token: str, pool_arns: list[str], *, now: float) -> dict[str, Any] | None:
    """Claims of ``token`` if it is a valid, unexpired token of one of ``pool_arns``, else None."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    try:
        keys = KeySet.import_key_set(jwks())  # type: ignore[arg-type]
        decoded = jwt.decode(token, keys, algorithms=["RS256"])
    except (JoseError, ValueError, TypeError):
        return None
    claims = dict(decoded.claims)
    if claims.get("iss") not in {_issuer(arn) for arn in pool_arns}:
        return None
    if claims.get("token_use") not in ("id", "access"):
        return None
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        return None
    return claims


# -- triggers ---------------------------------------------------------------------------------
def _user_attributes(user: Any) -> dict[str, str]:
    attributes = {a["Name"]: a["Value"] for a in (user.attributes or [])}
    attributes.setdefault("sub", user.id)
    attributes["cognito:user_status"] = str(getattr(user.status, "value", user.status))
    return attributes


def _config(pool: Any) -> dict[str, str]:
    return dict(pool.extended_config.get("LambdaConfig") or {})


class Triggers:
    """Runs a pool's Lambda triggers in the runtime (``cloud`` hooks into moto's backend)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud

    def _run(
        self,
        pool: Any,
        name: str,
        source: str,
        user: Any,
        client_id: str | None,
        request: dict[str, Any],
        response: dict[str, Any],
    ) -> dict[str, Any]:
        from moto.core.exceptions import JsonRESTError

        from ._deliver import parse_arn
        from ._lambda import _backend

        arn = _config(pool)[name]
        event = {
            "version": "1",
            "region": pool.region,
            "userPoolId": pool.id,
            "userName": user.username,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown", "clientId": client_id},
            "triggerSource": source,
            "request": request,
            "response": response,
        }
        info = parse_arn(arn)
        try:
            fn, latest, invoked = self.cloud.lambda_.resolve(
                _backend(info["account"], info["region"]), arn
            )
        except Exception as exc:
            raise JsonRESTError(
                "UserLambdaValidationException", f"{name} failed: function {arn} not found"
            ) from exc
        result = self.cloud.runtime.invoke(
            fn, latest, json.dumps(event), invoked_arn=invoked, source=f"cognito:{pool.id}"
        )
        output = result.json()
        if not result.ok:
            message = output.get("errorMessage", "") if isinstance(output, dict) else ""
            label = {
                "PreSignUp": "PreSignUp",
                "PostConfirmation": "PostConfirmation",
                "PreTokenGeneration": "PreTokenGeneration",
            }[name]
            raise JsonRESTError(
                "UserLambdaValidationException", f"{label} failed with error {message}."
            )
        if not isinstance(output, dict):
            raise JsonRESTError(
                "InvalidLambdaResponseException", f"Invalid lambda response from {name}."
            )
        return output.get("response") or {}

    @staticmethod
    def _check(pool: Any) -> None:
        unsupported = sorted(set(_config(pool)) - _SUPPORTED_TRIGGERS - {"KMSKeyID"})
        if unsupported:
            raise LocalCloudGap(
                f"Cognito triggers {', '.join(unsupported)}",
                hint="The local cloud runs PreSignUp, PostConfirmation and PreTokenGeneration.",
            )

    def sign_up(
        self,
        original: Any,
        backend: Any,
        client_id: str,
        username: str,
        password: str,
        attributes: list[dict[str, str]],
    ) -> Any:
        pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
        if pool is None or not _config(pool):
            return original(backend, client_id, username, password, attributes)
        self._check(pool)
        user, details = original(backend, client_id, username, password, attributes)
        config = _config(pool)
        if "PreSignUp" in config:
            try:
                response = self._run(
                    pool,
                    "PreSignUp",
                    "PreSignUp_SignUp",
                    user,
                    client_id,
                    {
                        "userAttributes": _user_attributes(user),
                        "validationData": {},
                        "clientMetadata": {},
                    },
                    {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
                )
            except Exception:
                pool.users.pop(user.username, None)  # AWS creates no user when PreSignUp fails
                raise
            for flag, attribute in (
                ("autoVerifyEmail", "email_verified"),
                ("autoVerifyPhone", "phone_number_verified"),
            ):
                if response.get(flag):
                    user.attributes = [a for a in user.attributes if a["Name"] != attribute]
                    user.attributes.append({"Name": attribute, "Value": "true"})
                    user.attribute_lookup[attribute] = "true"
            if response.get("autoConfirmUser"):
                from moto.cognitoidp.models import UserStatus

                user.status = UserStatus.CONFIRMED
                self.post_confirmation(pool, user, client_id)
        return user, details

    def post_confirmation(self, pool: Any, user: Any, client_id: str | None) -> None:
        if "PostConfirmation" in _config(pool):
            self._run(
                pool,
                "PostConfirmation",
                "PostConfirmation_ConfirmSignUp",
                user,
                client_id,
                {"userAttributes": _user_attributes(user), "clientMetadata": {}},
                {},
            )

    def confirmed(
        self, backend: Any, pool_id: str | None, client_id: str | None, username: str
    ) -> None:
        pool = None
        if pool_id:
            pool = backend.user_pools.get(pool_id)
        else:
            pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
        if pool is None or "PostConfirmation" not in _config(pool):
            return
        user = pool._get_user(username)
        if user is not None:
            self.post_confirmation(pool, user, client_id)

    def token_claims(
        self, pool: Any, client_id: str, username: str, extra: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply a PreTokenGeneration trigger to the claims of an ID token."""
        if "PreTokenGeneration" not in _config(pool):
            return extra
        user = pool._get_user(username)
        groups = list(extra.get("cognito:groups") or [])
        response = self._run(
            pool,
            "PreTokenGeneration",
            "TokenGeneration_Authentication",
            user,
            client_id,
            {
                "userAttributes": _user_attributes(user),
                "groupConfiguration": {
                    "groupsToOverride": groups,
                    "iamRolesToOverride": [],
                    "preferredRole": None,
                },
                "clientMetadata": {},
            },
            {"claimsOverrideDetails": None},
        )
        details = response.get("claimsOverrideDetails") or {}
        claims = dict(extra)
        protected = {
            "iss",
            "sub",
            "aud",
            "token_use",
            "exp",
            "iat",
            "auth_time",
            "jti",
            "cognito:username",
            "origin_jti",
        }
        for key, value in (details.get("claimsToAddOrOverride") or {}).items():
            if key not in protected:
                claims[key] = value
        for key in details.get("claimsToSuppress") or []:
            if key not in protected:
                claims.pop(key, None)
        group_override = details.get("groupOverrideDetails") or {}
        if "groupsToOverride" in group_override:
            claims["cognito:groups"] = list(group_override["groupsToOverride"] or [])
            if not claims["cognito:groups"]:
                claims.pop("cognito:groups")
        return claims
