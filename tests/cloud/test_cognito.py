"""Cognito user pools: JWTs that verify against the published JWKS, and Lambda triggers."""

from __future__ import annotations

import textwrap

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import KeySet

from dojo.cloud import zip_code

PASSWORD = "Passw0rd!x"


def _function(role: str, name: str, source: str) -> str:
    return boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": textwrap.dedent(source)})},
    )["FunctionArn"]


def _pool(**kwargs):
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="users", **kwargs)["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="web",
        ExplicitAuthFlows=["USER_PASSWORD_AUTH"],
        ReadAttributes=["email"],
    )["UserPoolClient"]["ClientId"]
    return idp, pool, client


def _login(idp, client, username="ada"):
    return idp.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]


def test_sign_up_confirm_auth_tokens_verify_against_published_jwks(cloud):
    """Check that tokens from the sign-up/confirm/auth flow verify with the pool's JWKS URL."""
    idp, pool, client = _pool()
    idp.sign_up(
        ClientId=client,
        Username="ada",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "ada@example.com"}],
    )
    with pytest.raises(ClientError, match="UserNotConfirmedException"):
        _login(idp, client)
    idp.confirm_sign_up(ClientId=client, Username="ada", ConfirmationCode="123456")
    tokens = _login(idp, client)
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool['Id']}"
    keys = requests.get(f"{issuer}/.well-known/jwks.json").json()
    decoded = jwt.decode(tokens["IdToken"], KeySet.import_key_set(keys), algorithms=["RS256"])
    claims = decoded.claims
    assert claims["iss"] == issuer and claims["aud"] == client
    assert claims["token_use"] == "id" and claims["cognito:username"] == "ada"
    assert claims["email"] == "ada@example.com"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iat"] == int(cloud.clock.time())  # stamped with the fake clock
    access = jwt.decode(tokens["AccessToken"], KeySet.import_key_set(keys), algorithms=["RS256"])
    assert access.claims["token_use"] == "access" and access.claims["client_id"] == client


def test_verify_pool_token_rejects_expired_and_foreign_tokens(cloud):
    """Check the cloud's verifier (used by authorizers): issuer, signature and fake-clock expiry."""
    from dojo.cloud._cognito import verify_pool_token

    idp, pool, client = _pool()
    idp.admin_create_user(UserPoolId=pool["Id"], Username="ada", TemporaryPassword="Tmp-Passw0rd!")
    idp.admin_set_user_password(
        UserPoolId=pool["Id"], Username="ada", Password=PASSWORD, Permanent=True
    )
    token = _login(idp, client)["IdToken"]
    now = cloud.clock.time()
    assert verify_pool_token(token, [pool["Arn"]], now=now)["cognito:username"] == "ada"
    assert (
        verify_pool_token(token, [pool["Arn"].replace(pool["Id"], "us-east-1_other")], now=now)
        is None
    )
    assert verify_pool_token(token[:-4] + "AAAA", [pool["Arn"]], now=now) is None
    assert verify_pool_token(token, [pool["Arn"]], now=now + 3601) is None


PRE_SIGN_UP = """
def handler(event, context):
    email = event["request"]["userAttributes"].get("email", "")
    if not email.endswith("@example.com"):
        raise Exception("only example.com addresses")
    event["response"]["autoConfirmUser"] = True
    event["response"]["autoVerifyEmail"] = True
    return event
"""

POST_CONFIRMATION = """
import boto3
def handler(event, context):
    boto3.client("dynamodb").put_item(TableName="profiles", Item={
        "sub": {"S": event["request"]["userAttributes"]["sub"]},
        "source": {"S": event["triggerSource"]}})
    return event
"""

PRE_TOKEN = """
def handler(event, context):
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"tier": "gold", "iss": "evil"},
        "groupOverrideDetails": {"groupsToOverride": ["admins"]}}
    return event
"""


def test_pre_sign_up_post_confirmation_and_pre_token_triggers_run(cloud, role):
    """Check the three triggers: PreSignUp rejects/auto-confirms, PostConfirmation writes,
    PreTokenGeneration adds claims and groups but cannot change protected claims."""
    boto3.client("dynamodb").create_table(
        TableName="profiles",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "sub", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sub", "AttributeType": "S"}],
    )
    config = {
        "PreSignUp": _function(role, "pre-sign-up", PRE_SIGN_UP),
        "PostConfirmation": _function(role, "post-confirmation", POST_CONFIRMATION),
        "PreTokenGeneration": _function(role, "pre-token", PRE_TOKEN),
    }
    idp, pool, client = _pool(LambdaConfig=config)
    with pytest.raises(ClientError) as failed:
        idp.sign_up(
            ClientId=client,
            Username="eve",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "eve@evil.test"}],
        )
    assert failed.value.response["Error"]["Code"] == "UserLambdaValidationException"
    assert "PreSignUp failed with error only example.com addresses." in str(failed.value)
    assert idp.list_users(UserPoolId=pool["Id"])["Users"] == []

    answer = idp.sign_up(
        ClientId=client,
        Username="ada",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "ada@example.com"}],
    )
    user = idp.admin_get_user(UserPoolId=pool["Id"], Username="ada")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
    profiles = boto3.client("dynamodb").scan(TableName="profiles")["Items"]
    assert profiles == [
        {"sub": {"S": answer["UserSub"]}, "source": {"S": "PostConfirmation_ConfirmSignUp"}}
    ]

    keys = requests.get(
        f"https://cognito-idp.us-east-1.amazonaws.com/{pool['Id']}/.well-known/jwks.json"
    ).json()
    claims = jwt.decode(_login(idp, client)["IdToken"], KeySet.import_key_set(keys)).claims
    assert claims["tier"] == "gold" and claims["cognito:groups"] == ["admins"]
    assert claims["iss"].endswith(pool["Id"])
    assert [h.target for h in cloud.trace.where(kind="invoke", source=f"cognito:{pool['Id']}")] == [
        "lambda:pre-sign-up",
        "lambda:pre-sign-up",
        "lambda:post-confirmation",
        "lambda:pre-token",
    ]


def test_post_confirmation_runs_on_admin_confirm(cloud, role):
    """Check that AdminConfirmSignUp runs the PostConfirmation trigger once."""
    source = (
        "def handler(event, context):\n"
        "    print('confirmed', event['userName'])\n"
        "    return event\n"
    )
    idp, pool, client = _pool(LambdaConfig={"PostConfirmation": _function(role, "pc", source)})
    idp.sign_up(ClientId=client, Username="bo", Password=PASSWORD)
    assert cloud.invocations("pc") == 0
    idp.admin_confirm_sign_up(UserPoolId=pool["Id"], Username="bo")
    assert cloud.logs("pc") == ["confirmed bo"]


def test_unsupported_trigger_is_a_named_gap(cloud, role):
    """Check that a pool with a trigger the cloud cannot run raises LocalCloudGap on sign-up."""
    arn = _function(role, "msg", "def handler(e, c):\n    return e\n")
    idp, _, client = _pool(LambdaConfig={"CustomMessage": arn})
    with pytest.raises(Exception, match="CustomMessage"):
        idp.sign_up(ClientId=client, Username="cy", Password=PASSWORD)
