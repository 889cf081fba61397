"""API Gateway HTTP APIs (apigatewayv2) answering HTTP requests.

Routes (``GET /items/{id}``, ``ANY /{proxy+}``, ``$default``) on the ``$default`` stage or a named
stage; ``AWS_PROXY`` Lambda integrations with payload format 2.0 (or 1.0); JWT authorizers whose
issuer is a Cognito user pool of this cloud (signature against the pool's JWKS, audience,
expiry, scopes) and Lambda REQUEST authorizers (simple or IAM-policy responses, cached for
``AuthorizerResultTtlInSeconds``). As on AWS, HTTP APIs answer 404 for unknown routes, 401 for
a missing or invalid identity, 403 for a denied one, 500 for a malformed Lambda result and 503
when the integration runs past ``TimeoutInMillis`` (30 s by default).

Not supported: HTTP/private integrations, AWS service integrations, IAM authorization, API
keys (HTTP APIs have none), CORS preflight answers, parameter mapping and custom domains.
"""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ._apigateway import Routed, _event_body, _names, error_response, route_pattern
from ._errors import LocalCloudGap
from ._http import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from ._apigateway import ApiRouter

__all__ = ["HttpApiRouter", "find_http_api", "v2_response"]

DEFAULT_TIMEOUT_MS = 30_000


def find_http_api(request: ApiRequest) -> tuple[str, Any] | None:
    """(account, moto Api) for the request's API id, or None."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account in list(apigatewayv2_backends.keys()):
        backend = apigatewayv2_backends[account][request.region]
        for api_id, api in backend.apis.items():
            if api_id.lower() == request.api_id.lower():
                return account, api
    return None


def _server_error() -> ApiResponse:
    return error_response(500, "Internal Server Error", "InternalServerErrorException")


def v2_response(output: Any) -> ApiResponse:
    """Map a payload-2.0 result: a dict with ``statusCode`` is used as is; anything else is
    a 200 JSON body. Malformed structured results answer 500."""
    if isinstance(output, dict) and "statusCode" in output:
        status = output.get("statusCode")
        headers = output.get("headers") or {}
        body = output.get("body")
        if (
            not isinstance(status, int)
            or isinstance(status, bool)
            or not isinstance(headers, dict)
            or (body is not None and not isinstance(body, str))
        ):
            return _server_error()
        raw = (body or "").encode()
        if output.get("isBase64Encoded"):
            import base64

            try:
                raw = base64.b64decode(body or "", validate=True)
            except ValueError:
                return _server_error()
        merged = {str(k): str(v) for k, v in headers.items()}
        cookies = output.get("cookies") or []
        if cookies:
            merged["Set-Cookie"] = ", ".join(str(c) for c in cookies)
        return ApiResponse(status, merged, raw)
    text = output if isinstance(output, str) else json.dumps(output)
    return ApiResponse(200, {"Content-Type": "application/json"}, text.encode())


class HttpApiRouter:
    """Answers one request to an HTTP API (uses the REST router's helpers and state)."""

    def __init__(self, rest: ApiRouter) -> None:
        self.rest = rest
        self.cloud = rest.cloud

    def handle(self, request: ApiRequest, account: str, api: Any) -> ApiResponse:
        if api.protocol_type != "HTTP":
            raise LocalCloudGap(f"requests to a {api.protocol_type} API over HTTP")
        first, _, rest = request.path.lstrip("/").partition("/")
        if first in api.stages and first != "$default":
            stage_name, path = first, "/" + rest
        elif "$default" in api.stages:
            stage_name, path = "$default", request.path
        else:
            return error_response(404, "Not Found", "NotFoundException")
        stage = api.stages[stage_name]
        found = self._route(api, request.method, unquote(path))
        if found is None:
            return error_response(404, "Not Found", "NotFoundException")
        route, params = found
        routed = Routed(
            request,
            account,
            stage_name,
            unquote(path),
            route.route_key,
            params,
            self.cloud.new_uuid(),
        )
        kind = (route.authorization_type or "NONE").upper()
        if kind == "JWT":
            denial = self._jwt(api, route, routed)
            if denial is not None:
                return denial
        elif kind == "CUSTOM":
            denial = self._lambda_authorizer(api, stage, route, routed)
            if denial is not None:
                return denial
        elif kind == "AWS_IAM":
            raise LocalCloudGap("IAM authorization on HTTP API routes")
        target = route.target or ""
        integration = api.integrations.get(target.split("/", 1)[-1]) if target else None
        if integration is None:
            return _server_error()
        if integration.integration_type != "AWS_PROXY":
            raise LocalCloudGap(
                f"HTTP API integration type {integration.integration_type!r}",
                hint="The local cloud runs AWS_PROXY (Lambda) integrations of HTTP APIs.",
            )
        version = integration.payload_format_version or "2.0"
        if version == "2.0":
            event = self.event(api, stage, routed)
        else:
            event = self.rest.proxy_event(api, stage, routed)
            event["version"] = "1.0"
        from ._runtime import Throttled

        uri = _as_invocation_uri(integration.integration_uri or "")
        try:
            result = self.rest.invoke_uri(uri, event, f"apigateway:{api.name}")
        except Throttled:
            return error_response(429, "Too Many Requests", "TooManyRequestsException")
        if result is None:
            return _server_error()
        timeout = float(integration.timeout_in_millis or DEFAULT_TIMEOUT_MS)
        if result.duration_ms > timeout:
            return error_response(503, "Service Unavailable", "ServiceUnavailableException")
        if not result.ok:
            return _server_error()
        answer = self.rest.lambda_response(result, float("inf"), version=version)
        if answer.status == 502:  # payload 1.0 validation failure: HTTP APIs say 500
            return _server_error()
        return answer

    @staticmethod
    def _route(api: Any, method: str, path: str) -> tuple[Any, dict[str, str]] | None:
        candidates = []
        default = None
        for route in api.routes.values():
            if route.route_key == "$default":
                default = route
                continue
            route_method, _, route_path = route.route_key.partition(" ")
            if route_method not in (method, "ANY"):
                continue
            pattern, rank = route_pattern(route_path)
            match = pattern.match(path)
            if match is None:
                continue
            values = dict(zip(_names(route_path), match.groups(), strict=False))
            candidates.append(((*rank, route_method == "ANY"), route, values))
        if candidates:
            candidates.sort(key=lambda c: c[0])
            return candidates[0][1], candidates[0][2]
        return (default, {}) if default is not None else None

    def event(self, api: Any, stage: Any, routed: Routed) -> dict[str, Any]:
        """The Lambda proxy event, payload format 2.0."""
        request = routed.request
        now = self.cloud.clock.time()
        headers: dict[str, str] = {}
        for key, value in request.headers.items():
            name = key.lower()
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
        query: dict[str, str] = {}
        for key, value in request.query:
            query[key] = f"{query[key]},{value}" if key in query else value
        body, is_b64 = _event_body(request)
        raw_query = "&".join(f"{k}={v}" for k, v in request.query)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": routed.resource_path,
            "rawPath": request.path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": routed.account,
                "apiId": api.api_id,
                "domainName": f"{request.api_id}.execute-api.{request.region}.amazonaws.com",
                "domainPrefix": request.api_id,
                "http": {
                    "method": request.method,
                    "path": request.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": routed.request_id,
                "routeKey": routed.resource_path,
                "stage": routed.stage,
                "time": formatdate(now, usegmt=True),
                "timeEpoch": int(now * 1000),
            },
            "isBase64Encoded": is_b64,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if routed.path_params:
            event["pathParameters"] = dict(routed.path_params)
        variables = getattr(stage, "stage_variables", None) or {}
        if variables:
            event["stageVariables"] = dict(variables)
        if body is not None:
            event["body"] = body
        if routed.authorizer:
            event["requestContext"]["authorizer"] = routed.authorizer
        return event

    def _identity(self, source: str, routed: Routed) -> str | None:
        request = routed.request
        if source.startswith("$request.header."):
            return request.header(source[len("$request.header.") :])
        if source.startswith("$request.querystring."):
            name = source[len("$request.querystring.") :]
            return next((v for k, v in request.query if k == name), None)
        if source.startswith(("$context.", "$stageVariables.")):
            return "present"
        raise LocalCloudGap(f"the identity source {source!r}")

    def _jwt(self, api: Any, route: Any, routed: Routed) -> ApiResponse | None:
        authorizer = api.authorizers.get(route.authorizer_id)
        if authorizer is None:
            return _server_error()
        sources = authorizer.identity_source or ["$request.header.Authorization"]
        token = self._identity(sources[0], routed)
        if not token:
            return error_response(401, "Unauthorized", "UnauthorizedException")
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        config = {str(k).lower(): v for k, v in (authorizer.jwt_config or {}).items()}
        issuer = config.get("issuer", "")
        from ._cognito import pool_arn_for_issuer, verify_pool_token

        pool_arn = pool_arn_for_issuer(issuer)
        if pool_arn is None:
            raise LocalCloudGap(
                f"JWT authorizer issuer {issuer!r}",
                hint="The local cloud verifies tokens of its own Cognito user pools only.",
            )
        claims = verify_pool_token(token, [pool_arn], now=self.cloud.clock.time())
        if claims is None:
            return error_response(401, "Unauthorized", "UnauthorizedException")
        audience = config.get("audience") or []
        token_audience = claims.get("aud") or claims.get("client_id")
        if audience and token_audience not in audience:
            return error_response(401, "Unauthorized", "UnauthorizedException")
        scopes = route.authorization_scopes or []
        granted = str(claims.get("scope", "")).split()
        if scopes and not set(scopes) & set(granted):
            return error_response(403, "Forbidden", "ForbiddenException")
        routed.authorizer = {"jwt": {"claims": claims, "scopes": granted or None}}
        return None

    def _lambda_authorizer(
        self, api: Any, stage: Any, route: Any, routed: Routed
    ) -> ApiResponse | None:
        authorizer = api.authorizers.get(route.authorizer_id)
        if authorizer is None:
            return _server_error()
        sources = list(authorizer.identity_source or [])
        values = [self._identity(s, routed) for s in sources]
        if any(not v for v in values):
            return error_response(401, "Unauthorized", "UnauthorizedException")
        route_arn = (
            f"arn:aws:execute-api:{routed.request.region}:{routed.account}:{api.api_id}/"
            f"{routed.stage}/{routed.request.method}{routed.raw_path}"
        )
        version = authorizer.auth_payload_format_version or "2.0"
        if version == "2.0":
            event = self.event(api, stage, routed)
            event = {
                **event,
                "type": "REQUEST",
                "routeArn": route_arn,
                "identitySource": values,
            }
        else:
            event = self.rest.proxy_event(api, stage, routed)
            event = {"type": "REQUEST", "methodArn": route_arn, **event}
        ttl = int(authorizer.auth_result_ttl or 0)
        key = ("v2", api.api_id, authorizer.id, tuple(values))
        now = self.cloud.clock.time()
        cached = self.rest.auth_cache.get(key)
        if ttl > 0 and sources and cached and cached[0] > now:
            output = cached[1]
        else:
            from ._runtime import Throttled

            uri = _as_invocation_uri(authorizer.authorizer_uri or "")
            try:
                result = self.rest.invoke_uri(uri, event, f"apigateway:{api.name}")
            except Throttled:
                result = None
            if result is None or not result.ok:
                return _server_error()
            output = result.json()
            if ttl > 0 and sources:
                self.rest.auth_cache[key] = (now + ttl, output)
        if not isinstance(output, dict):
            return _server_error()
        if authorizer.enable_simple_response and version == "2.0":
            if "isAuthorized" not in output:
                return _server_error()
            allowed = output.get("isAuthorized") is True
        else:
            from ._policy import evaluate_policy

            if not isinstance(output.get("policyDocument"), dict):
                return _server_error()
            allowed = (
                evaluate_policy(output["policyDocument"], "execute-api:Invoke", route_arn)
                == "Allow"
            )
        if not allowed:
            return error_response(403, "Forbidden", "ForbiddenException")
        routed.authorizer = {"lambda": output.get("context") or {}}
        return None


def _as_invocation_uri(uri: str) -> str:
    """HTTP APIs accept a bare function ARN; the REST form wraps it."""
    if uri.startswith("arn:aws:lambda:") or uri.startswith("arn:aws-"):
        region = uri.split(":")[3]
        return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{uri}/invocations"
    return uri
