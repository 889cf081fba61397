"""API Gateway HTTP APIs (apigatewayv2): payload 2.0 events, routes, JWT and Lambda authorizers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"x-fn": context.function_name},
            "body": json.dumps(event)}
"""


@pytest.fixture
def fn_arn(make_function: Callable[..., str]) -> Callable[..., str]:
    def make(name: str, source: str, **kwargs: Any) -> str:
        make_function(name, source, **kwargs)
        return boto3.client("lambda").get_function(FunctionName=name)["Configuration"][
            "FunctionArn"
        ]

    return make


def http_api(
    routes: dict[str, str], stage: str = "$default", **route_kwargs: Any
) -> tuple[str, str]:
    """Create an HTTP API with one Lambda integration per route; returns (api id, base URL)."""
    v2 = boto3.client("apigatewayv2")
    api_id = v2.create_api(Name="orders", ProtocolType="HTTP")["ApiId"]
    for route_key, arn in routes.items():
        integration = v2.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=arn,
            PayloadFormatVersion="2.0",
        )["IntegrationId"]
        v2.create_route(
            ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration}", **route_kwargs
        )
    v2.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
    base = f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
    return api_id, base if stage == "$default" else f"{base}/{stage}"


def test_v2_event_shape_for_a_parameter_route(cloud, fn_arn):
    """Check the payload-2.0 event: routeKey, rawPath, lower-case headers, cookies, joined query."""
    _, base = http_api({"GET /orders/{id}": fn_arn("echo", ECHO)})
    answer = requests.get(
        f"{base}/orders/7?tag=a&tag=b", headers={"X-Trace": "t", "Cookie": "s=1; theme=dark"}
    )
    assert answer.status_code == 200 and answer.headers["x-fn"] == "echo"
    event = answer.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /orders/{id}"
    assert event["rawPath"] == "/orders/7" and event["rawQueryString"] == "tag=a&tag=b"
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"tag": "a,b"}
    assert event["headers"]["x-trace"] == "t"
    assert event["cookies"] == ["s=1", "theme=dark"]
    http = event["requestContext"]["http"]
    assert (http["method"], http["path"], http["sourceIp"]) == ("GET", "/orders/7", "127.0.0.1")
    assert event["requestContext"]["stage"] == "$default"
    assert event["isBase64Encoded"] is False and "body" not in event


def test_named_stage_greedy_route_and_default_route(cloud, fn_arn):
    """Check a named stage prefix, ANY /{proxy+} and the $default catch-all."""
    arn = fn_arn("echo", ECHO)
    _, base = http_api({"ANY /files/{proxy+}": arn, "$default": arn}, stage="dev")
    deep = requests.put(f"{base}/files/a/b.txt", data="hi").json()
    assert deep["pathParameters"] == {"proxy": "a/b.txt"} and deep["body"] == "hi"
    assert deep["rawPath"] == "/dev/files/a/b.txt" and deep["requestContext"]["stage"] == "dev"
    assert requests.get(f"{base}/anything").json()["routeKey"] == "$default"


def test_unknown_route_is_404(cloud, fn_arn):
    """Check that HTTP APIs answer 404 Not Found for unknown routes."""
    _, base = http_api({"GET /a": fn_arn("echo", ECHO)})
    answer = cloud.http("GET", f"{base}/b")
    assert (answer.status, answer.json()) == (404, {"message": "Not Found"})


@pytest.mark.parametrize(
    ("returned", "status", "body"),
    [
        ({"hello": "world"}, 200, '{"hello": "world"}'),
        ("plain", 200, "plain"),
        ({"statusCode": 201, "body": "made", "cookies": ["a=1"]}, 201, "made"),
        ({"statusCode": "201", "body": "x"}, 500, '{"message": "Internal Server Error"}'),
        ({"statusCode": 200, "body": {"dict": 1}}, 500, '{"message": "Internal Server Error"}'),
    ],
)
def test_v2_response_mapping(cloud, fn_arn, returned, status, body):
    """Check payload-2.0 response mapping: bare JSON is a 200, malformed results are 500."""
    _, base = http_api({"GET /r": fn_arn("r", f"def handler(e, c):\n    return {returned!r}\n")})
    answer = cloud.http("GET", f"{base}/r")
    assert (answer.status, answer.text) == (status, body)


def test_v2_integration_timeout_is_503(cloud, fn_arn):
    """Check that a handler running past the 30 s integration timeout answers 503."""
    source = (
        "import dojo.cloud\ndef handler(e, c):\n    dojo.cloud.sim_sleep(31)\n    return 'late'\n"
    )
    _, base = http_api({"GET /slow": fn_arn("slow", source, Timeout=60)})
    answer = cloud.http("GET", f"{base}/slow")
    assert (answer.status, answer.json()) == (503, {"message": "Service Unavailable"})


def test_jwt_authorizer_with_cognito_issuer(cloud, fn_arn):
    """Check a JWT authorizer: 401 without/with a foreign token, audience checked, claims passed."""
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="users")["UserPool"]["Id"]
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="spa")["UserPoolClient"][
        "ClientId"
    ]
    other = idp.create_user_pool_client(UserPoolId=pool, ClientName="x")["UserPoolClient"][
        "ClientId"
    ]
    idp.admin_create_user(UserPoolId=pool, Username="ada", TemporaryPassword="Tmp-Passw0rd!")
    idp.admin_set_user_password(
        UserPoolId=pool, Username="ada", Password="Passw0rd!x", Permanent=True
    )

    def token(client_id: str) -> str:
        return idp.admin_initiate_auth(
            UserPoolId=pool,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ada", "PASSWORD": "Passw0rd!x"},
        )["AuthenticationResult"]["IdToken"]

    v2 = boto3.client("apigatewayv2")
    api_id, base = http_api({})
    auth = v2.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={
            "Audience": [client],
            "Issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
        },
    )["AuthorizerId"]
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=fn_arn("echo", ECHO),
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    v2.create_route(
        ApiId=api_id,
        RouteKey="GET /me",
        Target=f"integrations/{integration}",
        AuthorizationType="JWT",
        AuthorizerId=auth,
    )
    assert cloud.http("GET", f"{base}/me").status == 401
    assert cloud.http("GET", f"{base}/me", headers={"Authorization": token(other)}).status == 401
    ok = cloud.http("GET", f"{base}/me", headers={"Authorization": f"Bearer {token(client)}"})
    assert ok.status == 200
    claims = ok.json()["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["cognito:username"] == "ada"


def test_lambda_request_authorizer_simple_response(cloud, fn_arn):
    """Check a Lambda REQUEST authorizer with simple responses: 401, 403 and context passing."""
    authorizer = (
        "def handler(event, context):\n"
        "    ok = event['headers'].get('x-key') == 'sesame'\n"
        "    return {'isAuthorized': ok, 'context': {'who': 'ali'}}\n"
    )
    v2 = boto3.client("apigatewayv2")
    api_id, base = http_api({})
    auth = v2.create_authorizer(
        ApiId=api_id,
        Name="key",
        AuthorizerType="REQUEST",
        AuthorizerUri=fn_arn("auth", authorizer),
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        IdentitySource=["$request.header.x-key"],
        AuthorizerResultTtlInSeconds=0,
    )["AuthorizerId"]
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=fn_arn("echo", ECHO),
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    v2.create_route(
        ApiId=api_id,
        RouteKey="GET /cave",
        Target=f"integrations/{integration}",
        AuthorizationType="CUSTOM",
        AuthorizerId=auth,
    )
    assert cloud.http("GET", f"{base}/cave").status == 401
    assert cloud.http("GET", f"{base}/cave", headers={"x-key": "no"}).status == 403
    ok = cloud.http("GET", f"{base}/cave", headers={"x-key": "sesame"})
    assert ok.status == 200
    assert ok.json()["requestContext"]["authorizer"] == {"lambda": {"who": "ali"}}
    assert json.loads(ok.text)["headers"]["x-key"] == "sesame"
