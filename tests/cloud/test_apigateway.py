"""API Gateway REST APIs answer HTTP requests: proxy events, routes, authorizers, keys, errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

from dojo.cloud import LocalCloud

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"X-Fn": context.function_name},
            "body": json.dumps(event)}
"""


class Rest:
    """A small builder for REST APIs (the calls a learner makes with boto3)."""

    def __init__(self, name: str = "shop") -> None:
        self.apigw = boto3.client("apigateway")
        self.api_id = self.apigw.create_rest_api(name=name)["id"]
        self.root = self.apigw.get_resources(restApiId=self.api_id)["items"][0]["id"]
        self.ids = {"/": self.root}

    def resource(self, path: str) -> str:
        parent = "/"
        for part in [p for p in path.split("/") if p]:
            child = (parent.rstrip("/") + "/" + part) if parent != "/" else "/" + part
            if child not in self.ids:
                self.ids[child] = self.apigw.create_resource(
                    restApiId=self.api_id, parentId=self.ids[parent], pathPart=part
                )["id"]
            parent = child
        return self.ids[path]

    def method(self, path: str, verb: str, integration: dict[str, Any], **kwargs: Any) -> None:
        rid = self.resource(path)
        kwargs.setdefault("authorizationType", "NONE")
        self.apigw.put_method(restApiId=self.api_id, resourceId=rid, httpMethod=verb, **kwargs)
        self.apigw.put_integration(
            restApiId=self.api_id, resourceId=rid, httpMethod=verb, **integration
        )

    def deploy(self, stage: str = "prod") -> str:
        self.apigw.create_deployment(restApiId=self.api_id, stageName=stage)
        return f"https://{self.api_id}.execute-api.us-east-1.amazonaws.com/{stage}"


def proxy(fn_arn: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "AWS_PROXY",
        "integrationHttpMethod": "POST",
        "uri": (
            f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn_arn}/invocations"
        ),
        **extra,
    }


@pytest.fixture
def fn_arn(make_function: Callable[..., str]) -> Callable[..., str]:
    def make(name: str, source: str, **kwargs: Any) -> str:
        make_function(name, source, **kwargs)
        return boto3.client("lambda").get_function(FunctionName=name)["Configuration"][
            "FunctionArn"
        ]

    return make


def test_proxy_integration_receives_v1_event_with_path_and_query_parameters(cloud, fn_arn):
    """Check that a {param} route reaches the function with the full payload-1.0 event."""
    api = Rest()
    api.method("/items/{id}", "GET", proxy(fn_arn("echo", ECHO)))
    base = api.deploy()
    answer = requests.get(f"{base}/items/42?color=red&color=blue&size=L", headers={"X-Trace": "t1"})
    assert answer.status_code == 200
    assert answer.headers["X-Fn"] == "echo"
    event = answer.json()
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/42"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"color": "blue", "size": "L"}
    assert event["multiValueQueryStringParameters"] == {"color": ["red", "blue"], "size": ["L"]}
    assert event["headers"]["X-Trace"] == "t1"
    assert event["multiValueHeaders"]["X-Trace"] == ["t1"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "prod" and context["resourcePath"] == "/items/{id}"
    assert context["path"] == "/prod/items/42" and context["accountId"] == cloud.account_id
    assert context["identity"]["sourceIp"] == "127.0.0.1" and context["requestId"]
    assert [h.summary for h in cloud.trace.where(kind="http")] == ["GET /prod/items/42 -> 200"]
    assert cloud.trace.where(kind="invoke", source="apigateway:shop", target="lambda:echo")


def test_greedy_proxy_route_and_literal_routes_win_by_specificity(cloud, fn_arn):
    """Check that /{proxy+} catches deep paths while a literal path takes precedence."""
    arn = fn_arn("echo", ECHO)
    api = Rest()
    api.method("/{proxy+}", "ANY", proxy(arn))
    api.method(
        "/health",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
    )
    api.apigw.put_integration_response(
        restApiId=api.api_id,
        resourceId=api.resource("/health"),
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": '{"ok": true}'},
    )
    api.apigw.put_method_response(
        restApiId=api.api_id, resourceId=api.resource("/health"), httpMethod="GET", statusCode="200"
    )
    base = api.deploy()
    deep = cloud.http("DELETE", f"{base}/a/b/c")
    assert deep.status == 200
    assert deep.json()["pathParameters"] == {"proxy": "a/b/c"}
    assert deep.json()["resource"] == "/{proxy+}"
    assert cloud.http("GET", f"{base}/health").json() == {"ok": True}


def test_post_body_text_and_binary_body_base64(cloud, fn_arn):
    """Check that text bodies pass as text and binary bodies arrive base64-encoded."""
    api = Rest()
    api.method("/upload", "POST", proxy(fn_arn("echo", ECHO)))
    base = api.deploy()
    text = cloud.http("POST", f"{base}/upload", json={"name": "Ada"}).json()
    assert json.loads(text["body"]) == {"name": "Ada"} and text["isBase64Encoded"] is False
    binary = cloud.http("POST", f"{base}/upload", body=b"\xff\xfe\x00").json()
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\xfe\x00"


def test_unknown_route_is_403_missing_authentication_token(cloud, fn_arn):
    """Check that unknown paths and methods answer 403 Missing Authentication Token."""
    api = Rest()
    api.method("/items", "GET", proxy(fn_arn("echo", ECHO)))
    base = api.deploy()
    for method, path in (("GET", "/nothing"), ("POST", "/items")):
        answer = cloud.http(method, f"{base}{path}")
        assert answer.status == 403
        assert answer.json() == {"message": "Missing Authentication Token"}
    assert cloud.http("GET", base.replace("/prod", "/nostage") + "/items").status == 403


@pytest.mark.parametrize(
    "returned",
    [
        {"statusCode": 200, "body": {"dict": "body"}},
        {"statusCode": "200", "body": "x"},
        ["a", "list"],
        None,
        {"statusCode": 200, "body": "x", "extra": 1},
        {"statusCode": 200, "headers": ["X-A"], "body": "x"},
        {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True},
    ],
)
def test_malformed_lambda_response_is_502(cloud, fn_arn, returned):
    """Check that output API Gateway cannot map answers 502 Internal server error."""
    source = f"def handler(event, context):\n    return {returned!r}\n"
    api = Rest()
    api.method("/bad", "GET", proxy(fn_arn("bad", source)))
    answer = cloud.http("GET", f"{api.deploy()}/bad")
    assert answer.status == 502
    assert answer.json() == {"message": "Internal server error"}
    assert cloud.trace.where(kind="http", outcome="error")


def test_function_error_is_502_and_base64_body_is_decoded(cloud, fn_arn):
    """Check that an unhandled error answers 502 and an isBase64Encoded body is decoded."""
    api = Rest()
    api.method(
        "/boom", "GET", proxy(fn_arn("boom", "def handler(e, c):\n    raise ValueError('x')\n"))
    )
    api.method(
        "/png",
        "GET",
        proxy(
            fn_arn(
                "png",
                "import base64\ndef handler(e, c):\n    return {'statusCode': 201, "
                "'body': base64.b64encode(b'\\x89PNG').decode(), 'isBase64Encoded': True, "
                "'multiValueHeaders': {'Set-Cookie': ['a=1', 'b=2']}}\n",
            )
        ),
    )
    base = api.deploy()
    assert cloud.http("GET", f"{base}/boom").status == 502
    png = cloud.http("GET", f"{base}/png")
    assert (png.status, png.body, png.headers["Set-Cookie"]) == (201, b"\x89PNG", "a=1,b=2")


def test_integration_slower_than_29_seconds_is_504(cloud, fn_arn):
    """Check that simulated handler time past the integration timeout answers 504."""
    slow = (
        "import dojo.cloud\n"
        "def handler(event, context):\n"
        "    dojo.cloud.sim_sleep(float(event['queryStringParameters']['s']))\n"
        "    return {'statusCode': 200, 'body': 'done'}\n"
    )
    api = Rest()
    api.method("/slow", "GET", proxy(fn_arn("slow", slow, Timeout=60)))
    api.method("/quick", "GET", proxy(fn_arn("slow2", slow, Timeout=60), timeoutInMillis=1000))
    base = api.deploy()
    assert cloud.http("GET", f"{base}/slow?s=28").status == 200
    timed_out = cloud.http("GET", f"{base}/slow?s=30")
    assert timed_out.status == 504
    assert timed_out.json() == {"message": "Endpoint request timed out"}
    assert cloud.http("GET", f"{base}/quick?s=2").status == 504


AUTH_TOKEN = """
def handler(event, context):
    token = event["authorizationToken"]
    if token == "bad":
        raise Exception("Unauthorized")
    if token == "broken":
        return {"nope": 1}
    effect = "Allow" if token == "allow" else "Deny"
    return {"principalId": "user-1", "context": {"tier": "gold", "n": 3},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect,
                 "Resource": event["methodArn"]}]}}
"""


def _authorizer(api: Rest, fn: str, kind: str, source: str, **kwargs: Any) -> str:
    return api.apigw.create_authorizer(
        restApiId=api.api_id,
        name=f"auth-{kind.lower()}",
        type=kind,
        authorizerUri=proxy(fn)["uri"],
        identitySource=source,
        **kwargs,
    )["id"]


def test_token_authorizer_allows_denies_and_rejects(cloud, fn_arn):
    """Check TOKEN authorizers: 401 without or with a rejected token, 403 on deny, 500 on a
    malformed answer, and the authorizer context in the proxy event on allow."""
    api = Rest()
    auth = _authorizer(
        api,
        fn_arn("auth", AUTH_TOKEN),
        "TOKEN",
        "method.request.header.Authorization",
        authorizerResultTtlInSeconds=0,
    )
    api.method(
        "/me", "GET", proxy(fn_arn("echo", ECHO)), authorizationType="CUSTOM", authorizerId=auth
    )
    url = f"{api.deploy()}/me"
    assert cloud.http("GET", url).json() == {"message": "Unauthorized"}
    assert cloud.http("GET", url, headers={"Authorization": "bad"}).status == 401
    denied = cloud.http("GET", url, headers={"Authorization": "deny"})
    assert denied.status == 403
    assert denied.json() == {
        "Message": "User is not authorized to access this resource with an explicit deny"
    }
    assert cloud.http("GET", url, headers={"Authorization": "broken"}).status == 500
    allowed = cloud.http("GET", url, headers={"Authorization": "allow"})
    assert allowed.status == 200
    authorizer = allowed.json()["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-1"
    assert (authorizer["tier"], authorizer["n"]) == ("gold", 3)
    assert cloud.invocations("echo") == 1


def test_token_authorizer_result_is_cached_for_its_ttl(cloud, fn_arn):
    """Check that a cached policy is reused for the TTL (even for another path) and expires."""
    api = Rest()
    auth = _authorizer(
        api,
        fn_arn("auth", AUTH_TOKEN),
        "TOKEN",
        "method.request.header.Authorization",
        authorizerResultTtlInSeconds=60,
    )
    echo = fn_arn("echo", ECHO)
    api.method("/a", "GET", proxy(echo), authorizationType="CUSTOM", authorizerId=auth)
    api.method("/b", "GET", proxy(echo), authorizationType="CUSTOM", authorizerId=auth)
    base = api.deploy()
    headers = {"Authorization": "allow"}
    assert cloud.http("GET", f"{base}/a", headers=headers).status == 200
    # The cached policy names /a only: the famous "works for the first path" bug.
    assert cloud.http("GET", f"{base}/b", headers=headers).status == 403
    assert cloud.invocations("auth") == 1
    cloud.advance(61)
    assert cloud.http("GET", f"{base}/b", headers=headers).status == 200
    assert cloud.invocations("auth") == 2


def test_token_authorizer_validation_expression_rejects_without_invoking(cloud, fn_arn):
    """Check that a token failing identityValidationExpression is 401 and nothing runs."""
    api = Rest()
    auth = _authorizer(
        api,
        fn_arn("auth", AUTH_TOKEN),
        "TOKEN",
        "method.request.header.Authorization",
        identityValidationExpression="^allow$",
    )
    api.method(
        "/x", "GET", proxy(fn_arn("echo", ECHO)), authorizationType="CUSTOM", authorizerId=auth
    )
    assert cloud.http("GET", f"{api.deploy()}/x", headers={"Authorization": "deny"}).status == 401
    assert cloud.invocations("auth") == 0


AUTH_REQUEST = """
def handler(event, context):
    query, headers = event["queryStringParameters"], event["headers"]
    ok = query.get("key") == "k1" and headers.get("X-Team") == "red"
    return {"principalId": "svc", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow" if ok else "Deny",
         "Resource": event["methodArn"].split("/")[0] + "/*"}]},
        "context": {"type": event["type"], "path": event["path"]}}
"""


def test_request_authorizer_sees_headers_and_query(cloud, fn_arn):
    """Check REQUEST authorizers: identity sources required (401), a policy decides (403/200)."""
    api = Rest()
    auth = _authorizer(
        api,
        fn_arn("auth", AUTH_REQUEST),
        "REQUEST",
        "method.request.header.X-Team, method.request.querystring.key",
        authorizerResultTtlInSeconds=0,
    )
    api.method(
        "/r/{id}", "GET", proxy(fn_arn("echo", ECHO)), authorizationType="CUSTOM", authorizerId=auth
    )
    base = api.deploy()
    assert cloud.http("GET", f"{base}/r/1?key=k1").status == 401
    assert cloud.http("GET", f"{base}/r/1?key=nope", headers={"X-Team": "red"}).status == 403
    ok = cloud.http("GET", f"{base}/r/1?key=k1", headers={"X-Team": "red"})
    assert ok.status == 200
    assert ok.json()["requestContext"]["authorizer"]["type"] == "REQUEST"
    assert ok.json()["requestContext"]["authorizer"]["path"] == "/r/1"


def _pool_with_user(name: str = "pool") -> tuple[str, str, str, dict[str, str]]:
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName=name)["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="web", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.sign_up(
        ClientId=client,
        Username="ada",
        Password="Passw0rd!x",
        UserAttributes=[{"Name": "email", "Value": "ada@example.com"}],
    )
    idp.admin_confirm_sign_up(UserPoolId=pool["Id"], Username="ada")
    tokens = idp.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": "Passw0rd!x"},
    )["AuthenticationResult"]
    return pool["Id"], pool["Arn"], client, tokens


def test_cognito_user_pool_authorizer_checks_signature_issuer_and_expiry(cloud, fn_arn):
    """Check that a Cognito authorizer accepts the pool's ID token, rejects tampered tokens,
    tokens of another pool and expired tokens (on the fake clock), and passes the claims."""
    _, pool_arn, _, tokens = _pool_with_user()
    _, _, _, other = _pool_with_user("other")
    api = Rest()
    auth = api.apigw.create_authorizer(
        restApiId=api.api_id,
        name="cognito",
        type="COGNITO_USER_POOLS",
        providerARNs=[pool_arn],
        identitySource="method.request.header.Authorization",
    )["id"]
    api.method(
        "/me",
        "GET",
        proxy(fn_arn("echo", ECHO)),
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=auth,
    )
    url = f"{api.deploy()}/me"
    ok = cloud.http("GET", url, headers={"Authorization": tokens["IdToken"]})
    assert ok.status == 200
    claims = ok.json()["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:username"] == "ada" and claims["token_use"] == "id"
    header, payload, signature = tokens["IdToken"].split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["cognito:username"] = "admin"
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    for bad in (f"{header}.{forged_payload}.{signature}", other["IdToken"], "garbage"):
        assert cloud.http("GET", url, headers={"Authorization": bad}).status == 401
    assert cloud.http("GET", url).status == 401
    cloud.advance(3601)
    assert cloud.http("GET", url, headers={"Authorization": tokens["IdToken"]}).status == 401


def _keyed_api(
    cloud: LocalCloud,
    fn: str,
    throttle: dict[str, Any] | None = None,
    quota: dict[str, Any] | None = None,
) -> tuple[str, str]:
    api = Rest()
    api.method("/k", "GET", proxy(fn), apiKeyRequired=True)
    base = api.deploy()
    key = api.apigw.create_api_key(name="partner", enabled=True)
    plan_args: dict[str, Any] = {
        "name": "basic",
        "apiStages": [{"apiId": api.api_id, "stage": "prod"}],
    }
    if throttle:
        plan_args["throttle"] = throttle
    if quota:
        plan_args["quota"] = quota
    plan = api.apigw.create_usage_plan(**plan_args)
    api.apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    return f"{base}/k", key["value"]


def test_api_key_required_is_enforced(cloud, fn_arn):
    """Check that a method with apiKeyRequired answers 403 without a valid key in a usage plan."""
    url, value = _keyed_api(cloud, fn_arn("echo", ECHO))
    assert cloud.http("GET", url).json() == {"message": "Forbidden"}
    assert cloud.http("GET", url, headers={"x-api-key": "wrong"}).status == 403
    ok = cloud.http("GET", url, headers={"x-api-key": value})
    assert ok.status == 200
    assert ok.json()["requestContext"]["identity"]["apiKey"] == value
    orphan = boto3.client("apigateway").create_api_key(name="no-plan", enabled=True)["value"]
    assert cloud.http("GET", url, headers={"x-api-key": orphan}).status == 403


def test_api_key_from_a_lambda_authorizer_with_key_source_authorizer(cloud, fn_arn):
    """Check apiKeySource=AUTHORIZER: the authorizer's usageIdentifierKey is the API key."""
    source = (
        "def handler(event, context):\n"
        "    return {'principalId': 'p', 'usageIdentifierKey': event['authorizationToken'],\n"
        "            'policyDocument': {'Version': '2012-10-17', 'Statement': [{\n"
        "                'Effect': 'Allow', 'Action': 'execute-api:Invoke',\n"
        "                'Resource': event['methodArn']}]}}\n"
    )
    api = Rest()
    api.apigw.update_rest_api(
        restApiId=api.api_id,
        patchOperations=[{"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"}],
    )
    auth = _authorizer(
        api,
        fn_arn("keyauth", source),
        "TOKEN",
        "method.request.header.Authorization",
        authorizerResultTtlInSeconds=0,
    )
    api.method(
        "/k",
        "GET",
        proxy(fn_arn("echo", ECHO)),
        apiKeyRequired=True,
        authorizationType="CUSTOM",
        authorizerId=auth,
    )
    url = f"{api.deploy()}/k"
    key = api.apigw.create_api_key(name="partner", enabled=True)
    plan = api.apigw.create_usage_plan(
        name="basic", apiStages=[{"apiId": api.api_id, "stage": "prod"}]
    )
    api.apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert cloud.http("GET", url, headers={"Authorization": "not-a-key"}).status == 403
    answer = cloud.http("GET", url, headers={"Authorization": key["value"]})
    assert answer.status == 200
    assert answer.json()["requestContext"]["identity"]["apiKeyId"] == key["id"]


def test_usage_plan_throttle_answers_429_and_refills_on_the_fake_clock(cloud, fn_arn):
    """Check the usage plan's token bucket: burst requests pass, the next is 429, time refills."""
    url, value = _keyed_api(
        cloud, fn_arn("echo", ECHO), throttle={"rateLimit": 1.0, "burstLimit": 2}
    )
    headers = {"x-api-key": value}
    statuses = [cloud.http("GET", url, headers=headers).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert cloud.http("GET", url, headers=headers).json() == {"message": "Too Many Requests"}
    assert cloud.trace.where(kind="http", outcome="throttled")
    cloud.advance(1)
    assert cloud.http("GET", url, headers=headers).status == 200


def test_usage_plan_quota_answers_429_limit_exceeded(cloud, fn_arn):
    """Check that requests past the plan's daily quota answer 429 Limit Exceeded until tomorrow."""
    url, value = _keyed_api(cloud, fn_arn("echo", ECHO), quota={"limit": 2, "period": "DAY"})
    headers = {"x-api-key": value}
    assert [cloud.http("GET", url, headers=headers).status for _ in range(2)] == [200, 200]
    over = cloud.http("GET", url, headers=headers)
    assert (over.status, over.json()) == (429, {"message": "Limit Exceeded"})
    cloud.advance(86_400)
    assert cloud.http("GET", url, headers=headers).status == 200


def test_stage_throttling_settings_answer_429(cloud, fn_arn):
    """Check that stage-wide method settings (rate, burst) throttle every caller."""
    api = Rest()
    api.method("/t", "GET", proxy(fn_arn("echo", ECHO)))
    base = api.deploy()
    api.apigw.update_stage(
        restApiId=api.api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
        ],
    )
    assert [cloud.http("GET", f"{base}/t").status for _ in range(2)] == [200, 429]


def test_mock_integration_and_http_integration(cloud, fn_arn):
    """Check MOCK integrations (templates, status selection) and HTTP_PROXY forwarding."""
    api = Rest()
    api.method(
        "/mock",
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 201}'}},
    )
    rid = api.resource("/mock")
    api.apigw.put_method_response(
        restApiId=api.api_id, resourceId=rid, httpMethod="GET", statusCode="201"
    )
    api.apigw.put_integration_response(
        restApiId=api.api_id,
        resourceId=rid,
        httpMethod="GET",
        statusCode="201",
        responseTemplates={
            "application/json": '{"stage": "$context.stage", "id": "$context.requestId"}'
        },
        responseParameters={"method.response.header.X-Mock": "'yes'"},
    )
    base = api.deploy()
    answer = requests.get(f"{base}/mock")
    assert answer.status_code == 201 and answer.headers["X-Mock"] == "yes"
    assert answer.json()["stage"] == "prod" and answer.json()["id"]

    front = Rest("front")
    front.method(
        "/legacy/{proxy+}",
        "ANY",
        {
            "type": "HTTP_PROXY",
            "integrationHttpMethod": "ANY",
            "uri": f"{base}/{{proxy}}",
        },
    )
    via = cloud.http("GET", f"{front.deploy()}/legacy/mock")
    assert via.status == 201 and via.json()["stage"] == "prod"


def test_dynamodb_direct_integration_with_templates(cloud):
    """Check an AWS integration to DynamoDB PutItem/GetItem with request and response templates."""
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="orders",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    api = Rest()
    put = (
        '{"TableName": "orders", "Item": {"id": {"S": "$input.path(\'$.id\')"}, '
        '"note": {"S": "$util.escapeJavaScript($input.path(\'$.note\'))"}}}'
    )
    get = '{"TableName": "orders", "Key": {"id": {"S": "$input.params(\'id\')"}}}'
    for path, verb, action, template in (
        ("/orders", "POST", "PutItem", put),
        ("/orders/{id}", "GET", "GetItem", get),
    ):
        api.method(
            path,
            verb,
            {
                "type": "AWS",
                "integrationHttpMethod": "POST",
                "uri": f"arn:aws:apigateway:us-east-1:dynamodb:action/{action}",
                "requestTemplates": {"application/json": template},
            },
        )
        api.apigw.put_integration_response(
            restApiId=api.api_id,
            resourceId=api.resource(path),
            httpMethod=verb,
            statusCode="200",
            selectionPattern="",
            responseTemplates={
                "application/json": "$input.json('$.Item')" if verb == "GET" else '{"saved": true}'
            },
        )
        api.apigw.put_integration_response(
            restApiId=api.api_id,
            resourceId=api.resource(path),
            httpMethod=verb,
            statusCode="400",
            selectionPattern="4\\d{2}",
        )
    base = api.deploy()
    saved = cloud.http("POST", f"{base}/orders", json={"id": "o1", "note": 'say "hi"'})
    assert (saved.status, saved.json()) == (200, {"saved": True})
    item = ddb.get_item(TableName="orders", Key={"id": {"S": "o1"}})["Item"]
    assert item["note"] == {"S": 'say "hi"'}
    got = cloud.http("GET", f"{base}/orders/o1")
    assert got.json() == {"id": {"S": "o1"}, "note": {"S": 'say "hi"'}}


def test_sqs_direct_integration_sends_the_body(cloud, queue, drain):
    """Check an AWS integration to SQS (path/{account}/{queue}) with a form request template."""
    url, _ = queue("inbox")
    api = Rest()
    api.method(
        "/msg",
        "POST",
        {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": f"arn:aws:apigateway:us-east-1:sqs:path/{cloud.account_id}/inbox",
            "requestParameters": {
                "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
            },
            "requestTemplates": {
                "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
            },
        },
    )
    api.apigw.put_integration_response(
        restApiId=api.api_id, resourceId=api.resource("/msg"), httpMethod="POST", statusCode="200"
    )
    answer = cloud.http("POST", f"{api.deploy()}/msg", json={"order": 7})
    assert answer.status == 200
    assert answer.json()["SendMessageResponse"]["SendMessageResult"]["MessageId"]
    assert [json.loads(m["Body"]) for m in drain(url)] == [{"order": 7}]


def test_vtl_directives_are_a_named_gap(cloud):
    """Check that #if/#foreach templates raise LocalCloudGap instead of rendering wrongly."""
    from dojo.cloud import LocalCloudGap

    api = Rest()
    api.method(
        "/m",
        "GET",
        {
            "type": "MOCK",
            "requestTemplates": {
                "application/json": '#if($input.params("x"))\n{"statusCode": 200}\n#end'
            },
        },
    )
    with pytest.raises(LocalCloudGap, match="#if"):
        cloud.http("GET", f"{api.deploy()}/m")


def test_httpx_requests_reach_the_api_and_other_urls_do_not(cloud, fn_arn):
    """Check that httpx (default transport) is intercepted for execute-api URLs."""
    import httpx

    api = Rest()
    api.method("/hx", "GET", proxy(fn_arn("echo", ECHO)))
    base = api.deploy()
    with httpx.Client() as client:
        answer = client.get(f"{base}/hx", params={"q": "1"})
    assert answer.status_code == 200
    assert answer.json()["queryStringParameters"] == {"q": "1"}


def test_lambda_permission_is_checked_in_strict_mode(role):
    """Check that strict mode answers 500 until the function allows apigateway to invoke it."""
    from dojo.cloud import zip_code

    cloud = None
    lam = boto3.client("lambda")
    # The fixture's cloud is not strict; flip it for this test (the check reads cloud.strict).
    from dojo.cloud._active import active

    cloud = active()
    cloud.strict = True
    arn = lam.create_function(
        FunctionName="echo",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": ECHO})},
    )["FunctionArn"]
    api = Rest()
    api.method("/p", "GET", proxy(arn))
    url = f"{api.deploy()}/p"
    assert cloud.http("GET", url).status == 500
    lam.add_permission(
        FunctionName="echo",
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{cloud.account_id}:{api.api_id}/*/GET/p",
    )
    assert cloud.http("GET", url).status == 200


def test_unknown_api_is_an_error_that_names_it(cloud):
    """Check that a request to an API id that does not exist raises a clear LocalCloudError."""
    from dojo.cloud import LocalCloudError

    with pytest.raises(LocalCloudError, match="nope123"):
        cloud.http("GET", "https://nope123.execute-api.us-east-1.amazonaws.com/prod/")
