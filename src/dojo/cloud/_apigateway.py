"""API Gateway REST APIs (v1) answering HTTP requests: routing, authorizers, keys, integrations.

moto keeps the API definitions (resources, methods, integrations, stages, keys, usage plans,
authorizers); this router answers requests to ``https://{api}.execute-api.{region}.amazonaws.com
/{stage}/...`` as API Gateway does:

* routes: literal paths, ``{param}`` and greedy ``{proxy+}`` resources, ``ANY``; unknown routes
  answer 403 ``Missing Authentication Token``, unknown stages 403 ``Forbidden``;
* Lambda authorizers (TOKEN and REQUEST; results cached for ``authorizerResultTtlInSeconds`` on the
  fake clock) and Cognito user-pool authorizers (JWT signature checked against the pool's JWKS,
  issuer, expiry on the fake clock): 401 ``Unauthorized``, 403 on an explicit or implicit deny,
  500 when the authorizer itself fails;
* API keys (``apiKeyRequired``): 403 ``Forbidden`` unless the ``x-api-key`` header (or an
  authorizer's ``usageIdentifierKey`` with ``apiKeySource=AUTHORIZER``) names an enabled key in a
  usage plan for this stage; the plan's throttle (token bucket) and quota answer 429;
  stage method settings (``throttling/rateLimit``, ``throttling/burstLimit``) also answer 429;
* integrations: ``AWS_PROXY`` to Lambda (payload v1.0; malformed results 502, runs longer than
  ``timeoutInMillis`` (29 s by default, simulated time included) 504), ``MOCK``, ``HTTP`` and
  ``HTTP_PROXY`` (sent with ``requests``; execute-api targets stay in-process), and ``AWS``
  direct integrations for DynamoDB actions and SQS ``path/{account}/{queue}`` with the template
  subset of :mod:`._vtl`.

Not supported (documented gaps): deployment snapshots (a stage serves the API's current
definition), caching, request validation and models, resource policies, IAM authorization,
custom gateway responses, VTL directives, other AWS services, binary media types, and
Lambda non-proxy (``AWS``) integrations.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote

from ._errors import LocalCloudError, LocalCloudGap
from ._http import ApiRequest, ApiResponse, parse_execute_api_url

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["ApiRouter", "TokenBucket", "error_response", "route_pattern"]

DEFAULT_TIMEOUT_MS = 29_000
_LAMBDA_URI = re.compile(
    r"arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/[^/]+/functions/(.+)/invocations"
)
_PROXY_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}


def error_response(
    status: int, message: str | None, error_type: str, *, key: str = "message"
) -> ApiResponse:
    """An API Gateway-generated error answer (``{"message": ...}`` plus ``x-amzn-ErrorType``)."""
    return ApiResponse(
        status,
        {"Content-Type": "application/json", "x-amzn-ErrorType": error_type},
        json.dumps({key: message}).encode(),
    )


def _bad_gateway() -> ApiResponse:
    return error_response(502, "Internal server error", "InternalServerErrorException")


def _internal_error() -> ApiResponse:
    return error_response(500, "Internal server error", "InternalServerErrorException")


def _timed_out() -> ApiResponse:
    return error_response(504, "Endpoint request timed out", "InternalServerErrorException")


def _unauthorized() -> ApiResponse:
    return error_response(401, "Unauthorized", "UnauthorizedException")


def _denied() -> ApiResponse:
    return error_response(
        403,
        "User is not authorized to access this resource with an explicit deny",
        "AccessDeniedException",
        key="Message",
    )


def _forbidden() -> ApiResponse:
    return error_response(403, "Forbidden", "ForbiddenException")


def route_pattern(path: str) -> tuple[re.Pattern[str], tuple[int, int, int]]:
    """A regex for a resource path with ``{param}`` / ``{proxy+}`` and its specificity rank.

    Lower ranks win: fewer greedy, then fewer plain parameters, then more segments.
    """
    if path in ("", "/"):
        return re.compile(r"^/?$"), (0, 0, 0)
    parts = []
    greedy = params = 0
    segments = [s for s in path.split("/") if s]
    for segment in segments:
        match = re.fullmatch(r"\{([^{}]+?)(\+?)\}", segment)
        if match is None:
            parts.append(re.escape(segment))
        elif match.group(2):
            greedy += 1
            parts.append("(.+)")
        else:
            params += 1
            parts.append("([^/]+)")
    return re.compile("^/" + "/".join(parts) + "/?$"), (greedy, params, -len(segments))


def _names(path: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"\{([^{}]+?)\+?\}", path)]


@dataclass
class TokenBucket:
    """A token bucket on the fake clock (API Gateway's throttle: ``rate`` per s, ``burst``)."""

    rate: float
    burst: float
    tokens: float = -1.0
    last: float = 0.0

    def take(self, now: float) -> bool:
        """Take one token if there is one."""
        if self.tokens < 0:
            self.tokens, self.last = self.burst, now
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class Routed:
    """What a request resolved to, shared by the REST and HTTP API paths."""

    request: ApiRequest
    account: str
    stage: str
    raw_path: str
    resource_path: str
    path_params: dict[str, str]
    request_id: str
    authorizer: dict[str, Any] = field(default_factory=dict)
    usage_key: str | None = None
    api_key: Any = None


class ApiRouter:
    """Answers HTTP requests to deployed API Gateway stages (``cloud.apis``)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.buckets: dict[tuple[str, ...], TokenBucket] = {}
        self.quotas: dict[tuple[str, ...], int] = {}
        self.auth_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}

    # -- entry ------------------------------------------------------------------------------
    def http(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> ApiResponse:
        """Send one request to an execute-api URL and return the answer."""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        if params:
            url += ("&" if "?" in url else "?") + "&".join(
                f"{quote(str(k))}={quote(str(v))}" for k, v in params.items()
            )
        request = parse_execute_api_url(method, url, headers, body)
        if request is None:
            raise LocalCloudError(
                f"{url} is not an execute-api URL "
                "(https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/...)."
            )
        t0 = time.perf_counter()
        source = self._caller()
        api = self._find(request)
        fault = self.cloud.chaos.api_fault(
            "execute-api", request.method, source.partition(":")[2] or None, request.region
        )
        if fault is not None:
            response = error_response(503, "Service Unavailable", "ServiceUnavailableException")
            self.cloud.trace.record(
                source,
                f"apigateway:{request.api_id}",
                "http",
                f"{request.method} {request.path} -> 503",
                "error",
                status=503,
                note=f"chaos {fault.kind}",
            )
            return response
        if api is None:
            from ._apigwv2 import find_http_api

            found = find_http_api(request)
            if found is None:
                raise LocalCloudError(
                    f"No REST or HTTP API {request.api_id!r} exists in {request.region}; "
                    "the host name would not resolve on AWS."
                )
            from ._apigwv2 import HttpApiRouter

            label = f"apigateway:{found[1].name}"
            response = HttpApiRouter(self).handle(request, *found)
        else:
            label = f"apigateway:{api[1].name}"
            response = self._handle(request, *api)
        response.headers.setdefault("Content-Type", "application/json")
        status = response.status
        outcome = "ok" if status < 400 else ("throttled" if status == 429 else "error")
        self.cloud.trace.record(
            source,
            label,
            "http",
            f"{request.method} {request.path} -> {status}",
            outcome,
            (time.perf_counter() - t0) * 1000.0,
            status=status,
        )
        return response

    @staticmethod
    def _caller() -> str:
        from ._lambda import caller

        return caller()

    @staticmethod
    def _find(request: ApiRequest) -> tuple[str, Any] | None:
        from moto.apigateway.models import apigateway_backends

        for account in list(apigateway_backends.keys()):
            backend = apigateway_backends[account][request.region]
            for api_id, api in backend.apis.items():
                if api_id.lower() == request.api_id.lower():
                    return account, api
        return None

    # -- REST APIs --------------------------------------------------------------------------
    def _handle(self, request: ApiRequest, account: str, api: Any) -> ApiResponse:
        from moto.apigateway.models import apigateway_backends

        backend = apigateway_backends[account][request.region]
        stage_name, _, rest = request.path.lstrip("/").partition("/")
        stage = api.stages.get(stage_name)
        if stage is None:
            return _forbidden()
        raw_path = "/" + rest
        found = self._route(api, request.method, unquote(raw_path))
        if found is None:
            return error_response(
                403, "Missing Authentication Token", "MissingAuthenticationTokenException"
            )
        resource, method, path_params = found
        routed = Routed(
            request,
            account,
            stage_name,
            unquote(raw_path),
            resource.get_path(),
            path_params,
            self.cloud.new_uuid(),
        )
        # Authorization first, then API keys and throttles (API Gateway's order).
        if method.authorization_type in ("CUSTOM", "COGNITO_USER_POOLS"):
            authorizer = api.authorizers.get(method.authorizer_id)
            if authorizer is None:
                return _internal_error()
            denial = self._authorize(api, stage, routed, authorizer, method)
            if denial is not None:
                return denial
        elif method.authorization_type == "AWS_IAM":
            raise LocalCloudGap(
                "IAM (SigV4) authorization on API Gateway methods",
                hint="Use a Lambda or Cognito authorizer, or authorizationType NONE.",
            )
        if method.api_key_required:
            denial = self._api_key(backend, api, stage_name, routed)
            if denial is not None:
                return denial
        throttled = self._stage_throttle(api, stage, routed, method)
        if throttled is not None:
            return throttled
        integration = method.method_integration
        if integration is None:
            return _internal_error()
        return self._integrate(api, stage, routed, method, integration)

    @staticmethod
    def _route(api: Any, method: str, path: str) -> tuple[Any, Any, dict[str, str]] | None:
        candidates = []
        for resource in api.resources.values():
            resource_path = resource.get_path()
            pattern, rank = route_pattern(resource_path)
            match = pattern.match(path)
            if match is None:
                continue
            found = resource.resource_methods.get(method) or resource.resource_methods.get("ANY")
            if found is None:
                continue
            values = dict(zip(_names(resource_path), match.groups(), strict=False))
            candidates.append((rank, resource, found, values))
        if not candidates:
            return None
        candidates.sort(key=lambda c: c[0])
        _, resource, found, values = candidates[0]
        return resource, found, values

    # -- events -----------------------------------------------------------------------------
    def method_arn(self, api_id: str, routed: Routed) -> str:
        """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}``."""
        return (
            f"arn:aws:execute-api:{routed.request.region}:{routed.account}:{api_id}/"
            f"{routed.stage}/{routed.request.method}{routed.raw_path}"
        )

    @staticmethod
    def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, value in pairs:
            out.setdefault(key, []).append(value)
        return out

    def request_context(self, api: Any, routed: Routed) -> dict[str, Any]:
        request = routed.request
        now = self.cloud.clock.time()
        identity = {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": "127.0.0.1",
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.header("User-Agent"),
            "user": None,
        }
        if routed.api_key is not None:
            identity["apiKey"] = routed.api_key.value
            identity["apiKeyId"] = routed.api_key.id
        context: dict[str, Any] = {
            "resourceId": None,
            "resourcePath": routed.resource_path,
            "httpMethod": request.method,
            "extendedRequestId": routed.request_id[:16],
            "requestTime": formatdate(now, usegmt=True),
            "path": f"/{routed.stage}{routed.raw_path}",
            "accountId": routed.account,
            "protocol": "HTTP/1.1",
            "stage": routed.stage,
            "domainPrefix": request.api_id,
            "requestTimeEpoch": int(now * 1000),
            "requestId": routed.request_id,
            "identity": identity,
            "domainName": f"{request.api_id}.execute-api.{request.region}.amazonaws.com",
            "apiId": api.id,
        }
        if routed.authorizer:
            context["authorizer"] = routed.authorizer
        return context

    def proxy_event(self, api: Any, stage: Any, routed: Routed) -> dict[str, Any]:
        """The Lambda proxy event, payload format 1.0."""
        request = routed.request
        headers = dict(request.headers)
        multi_headers = {k: [v] for k, v in headers.items()}
        body, is_b64 = _event_body(request)
        return {
            "resource": routed.resource_path,
            "path": routed.raw_path,
            "httpMethod": request.method,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": dict(request.query) or None,
            "multiValueQueryStringParameters": self._multi(request.query) or None,
            "pathParameters": routed.path_params or None,
            "stageVariables": dict(getattr(stage, "variables", None) or {}) or None,
            "requestContext": self.request_context(api, routed),
            "body": body,
            "isBase64Encoded": is_b64,
        }

    # -- Lambda ----------------------------------------------------------------------------
    def invoke_uri(self, uri: str, event: dict[str, Any], source: str) -> Any:
        """Invoke the function an integration or authorizer URI names; returns the result.

        Returns None if the function does not exist; raises Throttled when throttled.
        """
        match = _LAMBDA_URI.match(uri or "")
        if match is None:
            raise LocalCloudGap(f"the Lambda integration URI {uri!r}")
        arn = match.group(1)
        from ._deliver import parse_arn
        from ._lambda import _backend

        try:
            info = parse_arn(arn)
            fn, latest, invoked_arn = self.cloud.lambda_.resolve(
                _backend(info["account"], info["region"]), arn
            )
        except Exception:
            return None
        return self.cloud.runtime.invoke(
            fn, latest, json.dumps(event), invoked_arn=invoked_arn, source=source
        )

    def lambda_response(
        self, result: Any, timeout_ms: float, *, version: str = "1.0"
    ) -> ApiResponse:
        """Map a proxy function's result to the HTTP answer (502/504 as API Gateway does)."""
        if result.duration_ms > timeout_ms:
            return _timed_out()
        if not result.ok:
            return _bad_gateway()
        try:
            output = json.loads(result.payload or b"null")
        except ValueError:
            return _bad_gateway()
        if version == "2.0":
            from ._apigwv2 import v2_response

            return v2_response(output)
        return proxy_v1_response(output)

    # -- authorizers ------------------------------------------------------------------------
    def _authorize(
        self, api: Any, stage: Any, routed: Routed, authorizer: Any, method: Any
    ) -> ApiResponse | None:
        method_arn = self.method_arn(api.id, routed)
        if authorizer.type == "COGNITO_USER_POOLS":
            source = authorizer.identity_source or "method.request.header.Authorization"
            token = self._identity_value(source, routed)
            if not token:
                return _unauthorized()
            from ._cognito import verify_pool_token

            claims = verify_pool_token(
                token, authorizer.provider_arns or [], now=self.cloud.clock.time()
            )
            if claims is None:
                return _unauthorized()
            scopes = getattr(method, "authorization_scopes", None) or []
            if scopes:
                granted = str(claims.get("scope", "")).split()
                if claims.get("token_use") != "access" or not set(scopes) & set(granted):
                    return _unauthorized()
            routed.authorizer = {"claims": claims}
            return None
        sources = [s.strip() for s in (authorizer.identity_source or "").split(",") if s.strip()]
        if authorizer.type == "TOKEN":
            header = sources[0] if sources else "method.request.header.Authorization"
            token = self._identity_value(header, routed)
            if not token:
                return _unauthorized()
            expression = authorizer.identity_validation_expression
            if expression and not re.fullmatch(expression, token):
                return _unauthorized()
            identity: tuple[Any, ...] = (token,)
            event: dict[str, Any] = {
                "type": "TOKEN",
                "authorizationToken": token,
                "methodArn": method_arn,
            }
        elif authorizer.type == "REQUEST":
            values = [self._identity_value(s, routed) for s in sources]
            if any(not v for v in values):
                return _unauthorized()
            identity = tuple(values)
            event = self.proxy_event(api, stage, routed)
            event.pop("body", None)
            event.pop("isBase64Encoded", None)
            event = {"type": "REQUEST", "methodArn": method_arn, **event}
        else:
            raise LocalCloudGap(f"API Gateway authorizer type {authorizer.type!r}")
        ttl = authorizer.authorizer_result_ttl
        ttl = 300 if ttl is None else int(ttl)
        key = (api.id, authorizer.id, identity)
        cached = self.auth_cache.get(key)
        now = self.cloud.clock.time()
        if ttl > 0 and sources and cached and cached[0] > now:
            output = cached[1]
        else:
            output = self._run_authorizer(authorizer, event, api)
            if isinstance(output, ApiResponse):
                if output.status == 401 and ttl > 0 and sources:
                    self.auth_cache[key] = (now + ttl, output)
                return output
            if ttl > 0 and sources:
                self.auth_cache[key] = (now + ttl, output)
        if isinstance(output, ApiResponse):
            return output
        from ._policy import evaluate_policy

        decision = evaluate_policy(output.get("policyDocument"), "execute-api:Invoke", method_arn)
        if decision != "Allow":
            return _denied()
        context = {
            k: v
            for k, v in (output.get("context") or {}).items()
            if isinstance(v, (str, int, float, bool))
        }
        routed.authorizer = {"principalId": output.get("principalId"), **context}
        if authorizer.type in ("TOKEN", "REQUEST"):
            routed.authorizer["integrationLatency"] = 0
        routed.usage_key = output.get("usageIdentifierKey")
        return None

    def _run_authorizer(self, authorizer: Any, event: dict[str, Any], api: Any) -> Any:
        from ._runtime import Throttled

        try:
            result = self.invoke_uri(authorizer.authorizer_uri, event, f"apigateway:{api.name}")
        except Throttled:
            return error_response(500, None, "AuthorizerConfigurationException")
        if result is None:
            return error_response(500, None, "AuthorizerConfigurationException")
        output = result.json()
        if not result.ok:
            if isinstance(output, dict) and output.get("errorMessage") == "Unauthorized":
                return _unauthorized()
            return error_response(500, None, "AuthorizerConfigurationException")
        if (
            not isinstance(output, dict)
            or "principalId" not in output
            or not isinstance(output.get("policyDocument"), dict)
        ):
            return error_response(500, None, "AuthorizerConfigurationException")
        return output

    @staticmethod
    def _identity_value(source: str, routed: Routed) -> str | None:
        request = routed.request
        prefix = "method.request."
        if not source.startswith(prefix):
            if source.startswith(("context.", "stageVariables.")):
                return "present"
            raise LocalCloudGap(f"the authorizer identity source {source!r}")
        kind, _, name = source[len(prefix) :].partition(".")
        if kind == "header":
            return request.header(name)
        if kind == "querystring":
            return next((v for k, v in request.query if k == name), None)
        if kind == "path":
            return routed.path_params.get(name)
        raise LocalCloudGap(f"the authorizer identity source {source!r}")

    # -- API keys and throttles ----------------------------------------------------------------
    def _api_key(self, backend: Any, api: Any, stage: str, routed: Routed) -> ApiResponse | None:
        if (api.api_key_source or "HEADER") == "AUTHORIZER":
            value = routed.usage_key
        else:
            value = routed.request.header("x-api-key")
        if not value:
            return _forbidden()
        key = next((k for k in backend.keys.values() if k.value == value), None)
        if key is None or not key.enabled:
            return _forbidden()
        plans = [
            plan
            for plan_id, plan in backend.usage_plans.items()
            if key.id in backend.usage_plan_keys.get(plan_id, {})
            and any(s.get("apiId") == api.id and s.get("stage") == stage for s in plan.api_stages)
        ]
        if not plans:
            return _forbidden()
        routed.api_key = key
        plan = plans[0]
        throttle = plan.throttle or {}
        if throttle:
            bucket = self.buckets.setdefault(
                ("plan", plan.id, key.id),
                TokenBucket(
                    float(throttle.get("rateLimit", 0)), float(throttle.get("burstLimit", 0))
                ),
            )
            if not bucket.take(self.cloud.clock.time()):
                return error_response(429, "Too Many Requests", "TooManyRequestsException")
        quota = plan.quota or {}
        if quota.get("limit") is not None:
            period = str(quota.get("period", "DAY")).upper()
            now = self.cloud.clock.now()
            window = {
                "DAY": now.strftime("%Y-%m-%d"),
                "WEEK": now.strftime("%G-W%V"),
                "MONTH": now.strftime("%Y-%m"),
            }.get(period, now.strftime("%Y-%m-%d"))
            counter = ("quota", plan.id, key.id, window)
            used = self.quotas.get(counter, 0)
            if used >= int(quota["limit"]):
                return error_response(429, "Limit Exceeded", "LimitExceededException")
            self.quotas[counter] = used + 1
        return None

    def _stage_throttle(
        self, api: Any, stage: Any, routed: Routed, method: Any
    ) -> ApiResponse | None:
        settings = getattr(stage, "method_settings", None) or {}
        resource_key = f"{routed.resource_path.lstrip('/')}/{routed.request.method}"
        # moto keys method settings by the patch path with "~1" for "/".
        chosen = None
        for key, values in settings.items():
            normalised = key.replace("~1", "/").lstrip("/")
            if normalised == resource_key:
                chosen = ("method", key, values)
                break
            if normalised == "*/*" and chosen is None:
                chosen = ("stage", key, values)
        if chosen is None:
            return None
        _, key, values = chosen
        rate = values.get("throttlingRateLimit")
        burst = values.get("throttlingBurstLimit")
        if rate is None or burst is None or float(rate) < 0:
            return None
        bucket = self.buckets.setdefault(
            ("stage", api.id, routed.stage, key), TokenBucket(float(rate), float(burst))
        )
        if not bucket.take(self.cloud.clock.time()):
            return error_response(429, "Too Many Requests", "TooManyRequestsException")
        return None

    # -- integrations -------------------------------------------------------------------------
    def _integrate(
        self, api: Any, stage: Any, routed: Routed, method: Any, integration: Any
    ) -> ApiResponse:
        kind = integration.integration_type
        timeout_ms = float(integration.timeout_in_millis or DEFAULT_TIMEOUT_MS)
        if kind == "AWS_PROXY":
            return self._lambda_proxy(api, stage, routed, integration, timeout_ms)
        if kind == "MOCK":
            return self._mock(api, stage, routed, integration)
        if kind in ("HTTP", "HTTP_PROXY"):
            return self._http(api, stage, routed, integration)
        if kind == "AWS":
            from ._apigw_direct import direct_integration

            return direct_integration(self, api, stage, routed, integration)
        raise LocalCloudGap(f"API Gateway integration type {kind!r}")

    def _lambda_proxy(
        self, api: Any, stage: Any, routed: Routed, integration: Any, timeout_ms: float
    ) -> ApiResponse:
        from ._runtime import Throttled

        match = _LAMBDA_URI.match(integration.uri or "")
        if match and self.cloud.strict:
            decision = self.cloud.lambda_.permission(
                match.group(1),
                "apigateway.amazonaws.com",
                self.method_arn(api.id, routed),
                routed.account,
            )
            if decision != "Allow":
                return _internal_error()
        event = self.proxy_event(api, stage, routed)
        try:
            result = self.invoke_uri(integration.uri, event, f"apigateway:{api.name}")
        except Throttled:
            return error_response(429, "Too Many Requests", "TooManyRequestsException")
        if result is None:
            return _internal_error()
        return self.lambda_response(result, timeout_ms)

    def template_params(self, routed: Routed) -> dict[str, dict[str, str]]:
        return {
            "path": dict(routed.path_params),
            "querystring": dict(routed.request.query),
            "header": dict(routed.request.headers),
        }

    def template_context(self, api: Any, routed: Routed) -> dict[str, Any]:
        context = self.request_context(api, routed)
        context["authorizer"] = routed.authorizer
        return context

    def _mock(self, api: Any, stage: Any, routed: Routed, integration: Any) -> ApiResponse:
        from ._vtl import render

        variables = dict(getattr(stage, "variables", None) or {})
        templates = integration.request_templates or {}
        template = templates.get("application/json")
        status = 200
        if template:
            rendered = render(
                template,
                body=routed.request.body,
                params=self.template_params(routed),
                context=self.template_context(api, routed),
                stage_variables=variables,
            )
            try:
                status = int(json.loads(rendered).get("statusCode", 200))
            except (ValueError, AttributeError, TypeError):
                return _internal_error()
        responses = integration.integration_responses or {}
        chosen = responses.get(str(status))
        if chosen is None:
            return _internal_error()
        body = ""
        response_template = (chosen.response_templates or {}).get("application/json")
        if response_template:
            body = render(
                response_template,
                body=b"",
                params=self.template_params(routed),
                context=self.template_context(api, routed),
                stage_variables=variables,
            )
        headers = _static_headers(chosen.response_parameters)
        return ApiResponse(int(chosen.status_code), headers, body.encode())

    def _http(self, api: Any, stage: Any, routed: Routed, integration: Any) -> ApiResponse:
        import requests

        url = integration.uri or ""
        for name, value in routed.path_params.items():
            url = url.replace("{" + name + "}", value)
        if routed.request.query and integration.integration_type == "HTTP_PROXY":
            url += ("&" if "?" in url else "?") + "&".join(
                f"{quote(k)}={quote(v)}" for k, v in routed.request.query
            )
        method = integration.http_method or routed.request.method
        if method == "ANY":
            method = routed.request.method
        headers = {k: v for k, v in routed.request.headers.items() if k.lower() not in ("host",)}
        try:
            answer = requests.request(
                method, url, headers=headers, data=routed.request.body, timeout=30
            )
        except requests.RequestException:
            return _timed_out()
        if integration.integration_type == "HTTP":
            responses = integration.integration_responses or {}
            chosen = _select_response(responses, str(answer.status_code))
            if chosen is None:
                return _internal_error()
            headers = _static_headers(chosen.response_parameters)
            return ApiResponse(int(chosen.status_code), headers, answer.content)
        return ApiResponse(
            answer.status_code,
            {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length",)},
            answer.content,
        )


def _select_response(responses: dict[str, Any], status: str) -> Any:
    """The integration response whose selectionPattern matches ``status`` (or the default)."""
    default = None
    for response in responses.values():
        pattern = response.selection_pattern
        if not pattern:
            default = response
        elif re.fullmatch(pattern, status):
            return response
    return default


def _static_headers(parameters: dict[str, str] | None) -> dict[str, str]:
    headers = {}
    for key, value in (parameters or {}).items():
        if key.startswith("method.response.header.") and value.startswith("'"):
            headers[key[len("method.response.header.") :]] = value.strip("'")
    return headers


def _event_body(request: ApiRequest) -> tuple[str | None, bool]:
    if request.body is None:
        return None, False
    try:
        return request.body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(request.body).decode(), True


def proxy_v1_response(output: Any) -> ApiResponse:
    """Validate a payload-1.0 proxy result; anything API Gateway rejects becomes 502."""
    if not isinstance(output, dict) or not set(output) <= _PROXY_KEYS - {"cookies"}:
        return _bad_gateway()
    status = output.get("statusCode", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return _bad_gateway()
    headers = output.get("headers") or {}
    multi = output.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        return _bad_gateway()
    body = output.get("body")
    if body is not None and not isinstance(body, str):
        return _bad_gateway()
    raw = (body or "").encode()
    if output.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body or "", validate=True)
        except ValueError:
            return _bad_gateway()
    merged = {str(k): str(v) for k, v in headers.items()}
    for key, values in multi.items():
        if not isinstance(values, list):
            return _bad_gateway()
        merged[str(key)] = ",".join(str(v) for v in values)
    return ApiResponse(status, merged, raw)


def parse_form(text: str) -> dict[str, str]:
    """``a=1&b=2`` → dict (for SQS direct integrations)."""
    return dict(parse_qsl(text, keep_blank_values=True))
