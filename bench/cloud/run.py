"""Benchmarks for dojo.cloud, printed from one run.

    python bench/cloud/run.py [--objects 1000] [--invokes 2000]

Figures:
* start: time to start and stop an empty LocalCloud (first and steady state);
* invoke overhead: the in-process runtime (``cloud.runtime.invoke``, in each timeout mode) and a
  full boto3 ``invoke`` versus calling the handler directly; for boto3 the overhead is reported
  beyond moto's own round trip (a ``GetFunctionConfiguration`` call), which every moto call pays;
* pipeline: S3 upload → Lambda (async) → DynamoDB ``PutItem`` for N objects, end to end.
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--invokes", type=int, default=2000)
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
    if count != args.objects:
        raise SystemExit(f"pipeline lost items: {count} of {args.objects}")


if __name__ == "__main__":
    main()
