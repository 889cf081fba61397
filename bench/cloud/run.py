"""Benchmarks for dojo.cloud, printed from one run.

    python bench/cloud/run.py [--objects 1000] [--invokes 2000]

Figures:
* start: time to start and stop an empty LocalCloud (first and steady state);
* invoke overhead: the in-process runtime (``cloud.runtime.invoke``, in each timeout mode) and a
  full boto3 ``invoke`` versus calling the handler directly; for boto3 the overhead is reported
  beyond moto's own round trip (a ``GetFunctionConfiguration`` call), which every moto call pays;
* pipeline: S3 upload → Lambda (async) → DynamoDB ``PutItem`` for N objects, end to end;
* API: requests/s through a REST API ``AWS_PROXY`` integration (``cloud.http`` and ``requests``)
  and an HTTP API (payload 2.0), printed only;
* EventBridge: events/s through a rule to a Lambda target (PutEvents in batches of 10, then the
  async invocations), printed only;
* TTL: a sweep deleting N (default 10,000) expired DynamoDB items on ``clock.advance``, printed
  only.
Targets (issue "Local cloud I"): runtime overhead under 1 ms per call; 1,000-object pipeline
under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import boto3

from dojo.cloud import LocalCloud, zip_code

ECHO = "def handler(event, context):\n    return event\n"
PIPELINE = """
import boto3
from urllib.parse import unquote_plus
TABLE = boto3.resource("dynamodb").Table("objects")
def handler(event, context):
    for record in event["Records"]:
        TABLE.put_item(Item={"key": unquote_plus(record["s3"]["object"]["key"]),
                             "size": record["s3"]["object"]["size"]})
"""


def _role() -> str:
    return boto3.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"][
        "Arn"
    ]


def _function(name: str, source: str, role: str, **kwargs: object) -> None:
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": source})},
        **kwargs,
    )


def bench_start(rounds: int = 5) -> tuple[float, float]:
    t0 = time.perf_counter()
    with LocalCloud():
        pass
    first = time.perf_counter() - t0
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        with LocalCloud():
            pass
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times)


def bench_invoke(n: int) -> dict[str, float]:
    namespace: dict[str, object] = {}
    exec(ECHO, namespace)  # the same handler, called directly
    direct_handler = namespace["handler"]
    event = {"n": 1}
    t0 = time.perf_counter()
    for _ in range(n):
        direct_handler(event, None)  # type: ignore[operator]
    results = {"direct": (time.perf_counter() - t0) / n}

    from moto.awslambda.utils import get_backend

    for mode, label in (
        (True, "watchdog, default"),
        ("thread", "worker thread"),
        (False, "no timeouts"),
    ):
        with LocalCloud(timeouts=mode) as cloud:
            _function("echo", ECHO, _role())
            fn, latest, arn = cloud.lambda_.resolve(
                get_backend(cloud.account_id, cloud.region), "echo"
            )
            payload = b'{"n": 1}'
            cloud.runtime.invoke(
                fn, latest, payload, invoked_arn=arn
            )  # cold start outside the timing
            t0 = time.perf_counter()
            for _ in range(n):
                cloud.runtime.invoke(fn, latest, payload, invoked_arn=arn)
            results[f"runtime ({label})"] = (time.perf_counter() - t0) / n
            if mode is True:
                lam = boto3.client("lambda")
                m = max(1, n // 4)
                t0 = time.perf_counter()
                for _ in range(m):
                    lam.invoke(FunctionName="echo", Payload=payload)["Payload"].read()
                results["boto3 invoke (through moto)"] = (time.perf_counter() - t0) / m
                t0 = time.perf_counter()
                for _ in range(m):
                    lam.get_function_configuration(FunctionName="echo")
                results["moto round trip alone"] = (time.perf_counter() - t0) / m
    return results


def bench_pipeline(objects: int) -> tuple[float, float, int]:
    with LocalCloud() as cloud:
        role = _role()
        boto3.client("dynamodb").create_table(
            TableName="objects",
            KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        _function("ingest", PIPELINE, role, Timeout=30)
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="uploads")
        arn = boto3.client("lambda").get_function(FunctionName="ingest")["Configuration"][
            "FunctionArn"
        ]
        s3.put_bucket_notification_configuration(
            Bucket="uploads",
            NotificationConfiguration={
                "LambdaFunctionConfigurations": [
                    {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
                ]
            },
        )
        t0 = time.perf_counter()
        for i in range(objects):
            s3.put_object(Bucket="uploads", Key=f"in/object {i}.txt", Body=b"x" * 100)
        uploaded = time.perf_counter() - t0
        cloud.run_until_idle()
        total = time.perf_counter() - t0
        count = boto3.client("dynamodb").scan(TableName="objects", Select="COUNT")["Count"]
    return uploaded, total, count


PROXY = (
    "import json\n"
    "def handler(event, context):\n"
    "    return {'statusCode': 200, 'body': json.dumps(event['pathParameters'])}\n"
)


def bench_api(n: int) -> dict[str, float]:
    """Requests per second through API Gateway proxy integrations (one warm function)."""
    import requests

    results: dict[str, float] = {}
    with LocalCloud() as cloud:
        _function("api", PROXY, _role())
        fn_arn = boto3.client("lambda").get_function(FunctionName="api")["Configuration"][
            "FunctionArn"
        ]
        apigw = boto3.client("apigateway")
        api = apigw.create_rest_api(name="bench")["id"]
        root = apigw.get_resources(restApiId=api)["items"][0]["id"]
        items = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
        item = apigw.create_resource(restApiId=api, parentId=items, pathPart="{id}")["id"]
        apigw.put_method(restApiId=api, resourceId=item, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(
            restApiId=api,
            resourceId=item,
            httpMethod="GET",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn_arn}/invocations",
        )
        apigw.create_deployment(restApiId=api, stageName="prod")
        url = f"https://{api}.execute-api.us-east-1.amazonaws.com/prod/items/"
        cloud.http("GET", url + "0")  # cold start outside the timing
        t0 = time.perf_counter()
        for i in range(n):
            cloud.http("GET", f"{url}{i}")
        results["REST proxy, cloud.http"] = n / (time.perf_counter() - t0)
        m = max(1, n // 4)
        t0 = time.perf_counter()
        for i in range(m):
            requests.get(f"{url}{i}")
        results["REST proxy, requests"] = m / (time.perf_counter() - t0)
        v2 = boto3.client("apigatewayv2")
        http_api = v2.create_api(Name="bench2", ProtocolType="HTTP")["ApiId"]
        integration = v2.create_integration(
            ApiId=http_api,
            IntegrationType="AWS_PROXY",
            IntegrationUri=fn_arn,
            PayloadFormatVersion="2.0",
        )["IntegrationId"]
        v2.create_route(
            ApiId=http_api, RouteKey="GET /items/{id}", Target=f"integrations/{integration}"
        )
        v2.create_stage(ApiId=http_api, StageName="$default", AutoDeploy=True)
        url2 = f"https://{http_api}.execute-api.us-east-1.amazonaws.com/items/"
        t0 = time.perf_counter()
        for i in range(n):
            cloud.http("GET", f"{url2}{i}")
        results["HTTP API v2, cloud.http"] = n / (time.perf_counter() - t0)
    return results


def bench_eventbridge(n: int) -> tuple[float, float, int]:
    """PutEvents through a rule to a Lambda target (async invoke), delivered by run_until_idle."""
    with LocalCloud() as cloud:
        _function("on-event", ECHO, _role())
        arn = boto3.client("lambda").get_function(FunctionName="on-event")["Configuration"][
            "FunctionArn"
        ]
        events = boto3.client("events")
        events.put_rule(Name="orders", EventPattern='{"source": [{"prefix": "shop."}]}')
        events.put_targets(Rule="orders", Targets=[{"Id": "f", "Arn": arn}])
        entries = [
            {"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": f'{{"n": {i}}}'}
            for i in range(n)
        ]
        t0 = time.perf_counter()
        for start in range(0, n, 10):
            events.put_events(Entries=entries[start : start + 10])
        put = time.perf_counter() - t0
        cloud.run_until_idle()
        total = time.perf_counter() - t0
        return put, total, cloud.invocations("on-event")


def bench_ttl(items: int) -> tuple[float, float, int]:
    """Write N items that expire together, then time the sweep that deletes them."""
    with LocalCloud() as cloud:
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName="sessions",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.update_time_to_live(
            TableName="sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
        )
        expires = str(int(cloud.clock.time()) + 60)
        t0 = time.perf_counter()
        for start in range(0, items, 25):
            ddb.batch_write_item(
                RequestItems={
                    "sessions": [
                        {"PutRequest": {"Item": {"id": {"S": f"s{i}"}, "ttl": {"N": expires}}}}
                        for i in range(start, min(items, start + 25))
                    ]
                }
            )
        written = time.perf_counter() - t0
        t0 = time.perf_counter()
        cloud.clock.advance(60 + 300)  # the default lag deletes within 5 minutes of expiry
        sweep = time.perf_counter() - t0
        left = ddb.scan(TableName="sessions", Select="COUNT")["Count"]
        return written, sweep, left


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--invokes", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--ttl-items", type=int, default=10_000)
    args = parser.parse_args()

    first, steady = bench_start()
    print(f"start+stop LocalCloud: first {first * 1000:.0f} ms, steady {steady * 1000:.0f} ms")

    invoke = bench_invoke(args.invokes)
    direct = invoke.pop("direct")
    round_trip = invoke.pop("moto round trip alone")
    print(f"handler called directly:           {direct * 1e6:9.2f} us/call")
    for label, seconds in invoke.items():
        base = round_trip if label.startswith("boto3") else 0.0
        overhead = (seconds - direct - base) * 1000
        note = " beyond moto's own round trip" if base else ""
        print(
            f"{label:35s}{seconds * 1e6:9.1f} us/call  ratio {seconds / direct:9,.0f}x  "
            f"overhead {overhead:.3f} ms{note} "
            f"(target < 1 ms: {'met' if overhead < 1 else 'MISSED'})"
        )
    print(f"moto round trip alone (GetFunctionConfiguration): {round_trip * 1e6:.1f} us/call")

    uploaded, total, count = bench_pipeline(args.objects)
    print(
        f"S3 -> Lambda -> DynamoDB, {args.objects} objects: {total:.2f} s total "
        f"({uploaded:.2f} s uploading, {total - uploaded:.2f} s delivering), "
        f"{count} items written, {total / args.objects * 1000:.2f} ms/object "
        f"(target < 10 s: {'met' if total < 10 else 'MISSED'})"
    )
    for label, per_second in bench_api(args.requests).items():
        print(f"API Gateway {label:28s}{per_second:9,.0f} requests/s")
    put, total, ran = bench_eventbridge(args.events)
    print(
        f"EventBridge rule -> Lambda, {args.events} events: {args.events / total:,.0f} events/s "
        f"end to end ({put:.2f} s putting, {total - put:.2f} s delivering), {ran} invocations"
    )
    written, sweep, left = bench_ttl(args.ttl_items)
    print(
        f"DynamoDB TTL sweep, {args.ttl_items} expired items: {sweep:.2f} s "
        f"({args.ttl_items / sweep:,.0f} deletions/s; writing them took {written:.2f} s), "
        f"{left} left"
    )
    if count != args.objects:
        raise SystemExit(f"pipeline lost items: {count} of {args.objects}")


if __name__ == "__main__":
    main()
