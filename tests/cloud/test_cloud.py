"""LocalCloud lifecycle, isolation, clients, clock, trace, packaging and the public API."""

from __future__ import annotations

import datetime as dt
import inspect
import io
import json
import time
import zipfile

import boto3
import pytest

import dojo.cloud
from dojo.cloud import Clock, LocalCloud, LocalCloudError, LocalCloudGap, Trace, package, zip_code
from dojo.cloud._hooks import HOOKS, HookPoint, check_hooks


def test_public_names_are_exactly_all():
    """Check that __all__ lists exactly the public names of dojo.cloud."""
    # pytest rewrites asserts in our installed plugin's distribution, adding "@py_..." names.
    public = {name for name in vars(dojo.cloud) if not name.startswith(("_", "@"))}
    public -= {"pytest_plugin"}  # a submodule, imported by pytest through its entry point
    public -= {"cli"}  # the `dojo cloud` click group's submodule, once something imported it
    assert set(dojo.cloud.__all__) == public
    for name in dojo.cloud.__all__:
        assert inspect.getdoc(getattr(dojo.cloud, name)), f"{name} needs a docstring"


def test_moto_hook_points_still_fit_the_installed_moto():
    """Check every patched moto function and read attribute against the installed moto."""
    assert check_hooks() == []


def test_a_moved_hook_is_reported_by_name():
    """Check that a broken hook produces a message naming it."""
    broken = HookPoint("moto.awslambda.models", "LambdaFunction._no_such_thing", ("self",), "test")
    assert (
        "moto hook moto.awslambda.models.LambdaFunction._no_such_thing is missing"
        in broken.problem()
    )
    changed = HookPoint(HOOKS[0].module, HOOKS[0].qualname, ("self", "payload"), "test")
    assert "changed signature" in changed.problem()


def test_plain_boto3_and_cloud_client_share_state(cloud):
    """Check that boto3.client() and cloud.client() see the same resources."""
    boto3.client("s3").create_bucket(Bucket="shared-bucket")
    assert [b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]] == ["shared-bucket"]
    assert cloud.client("s3") is cloud.client("s3")
    assert cloud.resource("s3").Bucket("shared-bucket").name == "shared-bucket"


def test_two_clouds_in_a_row_never_see_each_others_resources():
    """Check isolation between clouds started one after the other."""
    with LocalCloud() as first:
        boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="only-in-first")
        assert first.running
    assert not first.running
    with LocalCloud():
        assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
        with pytest.raises(boto3.client("lambda").exceptions.ResourceNotFoundException):
            boto3.client("lambda").get_function(FunctionName="anything")


def test_clouds_do_not_nest():
    """Check that a second cloud refuses to start while one runs."""
    with LocalCloud(), pytest.raises(LocalCloudError, match="already running"):
        LocalCloud().start()


def test_cloud_works_as_decorator_and_open_alias():
    """Check decorator use and the cards' dojo.cloud.open() spelling."""
    cloud = LocalCloud(seed=3)

    @cloud
    def inside() -> int:
        boto3.client("s3").create_bucket(Bucket="decorated")
        return len(boto3.client("s3").list_buckets()["Buckets"])

    assert inside() == 1 and inside() == 1  # fresh state each call
    with dojo.cloud.open(seed=1) as aws:
        assert isinstance(aws, LocalCloud) and aws.seed == 1
        assert aws.package is not None


def test_leaving_the_cloud_restores_real_time():
    """Check that the fake clock stops with the cloud."""
    with LocalCloud() as cloud:
        assert (
            time.time() == cloud.clock.time() == dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp()
        )
    assert time.time() > dt.datetime(2025, 6, 1, tzinfo=dt.UTC).timestamp()


def test_clock_runs_due_work_in_time_order():
    """Check advance(): scheduled work runs in timestamp order at its due time."""
    seen: list[tuple[str, float]] = []
    with Clock("2025-01-01T00:00:00Z") as clock:
        start = clock.time()
        clock.call_later(30, lambda: seen.append(("b", clock.time() - start)))
        clock.call_later(10, lambda: seen.append(("a", clock.time() - start)))
        clock.call_later(
            10, lambda: clock.call_later(5, lambda: seen.append(("c", clock.time() - start)))
        )
        clock.advance(20)
        assert seen == [("a", 10), ("c", 15)]
        clock.advance(20)
        assert seen[-1] == ("b", 30)
        assert clock.now() == dt.datetime(2025, 1, 1, 0, 0, 40, tzinfo=dt.UTC)
        clock.advance_to("2025-01-01T01:00:00Z")
        assert clock.now().hour == 1
        with pytest.raises(ValueError):
            clock.advance(-1)


def test_clock_as_decorator_freezes_time():
    """Check the clock's decorator form."""

    @Clock("2030-05-05T00:00:00Z")
    def frozen() -> float:
        return time.time()

    assert frozen() == dt.datetime(2030, 5, 5, tzinfo=dt.UTC).timestamp()


def test_clock_refuses_endless_event_loops():
    """Check that work producing work forever raises instead of hanging."""
    with Clock() as clock:
        clock.max_steps = 50

        def again() -> None:
            clock.call_later(0, again)

        clock.call_later(0, again)
        with pytest.raises(LocalCloudError, match="without settling"):
            clock.run_until_idle()


def test_sqs_visibility_follows_the_fake_clock(cloud):
    """Check that moto's SQS timers move with cloud.clock."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="vis", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    cloud.clock.advance(31)
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1


def test_trace_filters_clears_and_serialises(cloud):
    """Check Trace.where with exact values, globs and predicates, clear() and JSON output."""
    boto3.client("s3").create_bucket(Bucket="traced")
    boto3.client("sqs").create_queue(QueueName="traced")
    assert [h.target for h in cloud.trace.where(target="s3:*")] == ["s3:CreateBucket"]
    assert len(cloud.trace.where(kind="api", outcome="ok")) == 2
    assert len(cloud.trace.where(target=lambda t: t.startswith("sqs"))) == 1
    assert json.loads(cloud.trace.to_json())[0]["source"] == "client"
    assert "<table" in cloud.trace._repr_html_() and "s3:CreateBucket" in repr(cloud.trace)
    with pytest.raises(TypeError, match="no field"):
        cloud.trace.where(colour="red")
    cloud.trace.clear()
    assert len(cloud.trace) == 0 and not cloud.trace


def test_trace_html_escapes_user_text():
    """Check that the notebook view escapes what users typed."""
    trace = Trace()
    trace.record("client", "s3:<script>", "api", "<b>x</b>")
    assert "<script>" not in trace._repr_html_()


def test_zip_code_is_deterministic_and_rejects_escaping_paths():
    """Check zip_code output and validation."""
    first = zip_code({"app.py": "x = 1\n", "lib/util.py": b"y = 2\n"})
    assert first == zip_code({"lib/util.py": b"y = 2\n", "app.py": "x = 1\n"})
    assert zipfile.ZipFile(io.BytesIO(first)).namelist() == ["app.py", "lib/util.py"]
    with pytest.raises(ValueError):
        zip_code({"../evil.py": ""})
    with pytest.raises(ValueError):
        zip_code({})


def sample_handler(event, context):
    """A notebook-style handler packaged by package()."""
    return {"doubled": event["n"] * 2}


def test_package_a_function_and_run_it(make_function, cloud, role, invoke):
    """Check package(): a function from this file becomes lambda_function.py and runs."""
    code = package(sample_handler)
    names = zipfile.ZipFile(io.BytesIO(code)).namelist()
    assert names == ["lambda_function.py"]
    boto3.client("lambda").create_function(
        FunctionName="pkg",
        Runtime="python3.12",
        Role=role,
        Handler="lambda_function.sample_handler",
        Code={"ZipFile": code},
    )
    assert invoke("pkg", {"n": 21})["Body"] == {"doubled": 42}
    assert cloud.package(json)[:2] == b"PK"


def test_package_a_folder(tmp_path):
    """Check package() of a folder keeps relative paths."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "app.py").write_text("import pkg.mod\n")
    (tmp_path / "pkg" / "mod.py").write_text("X = 1\n")
    names = zipfile.ZipFile(io.BytesIO(package(tmp_path))).namelist()
    assert names == ["app.py", "pkg/mod.py"]


def test_node_runtime_is_a_named_gap(make_function, invoke):
    """Check that what the local cloud cannot run fails loudly and names the gap."""
    make_function("node", "exports.handler = 1", handler="index.handler", Runtime="nodejs20.x")
    with pytest.raises(LocalCloudGap, match=r"runtime 'nodejs20\.x'"):
        invoke("node")


def test_eventbridge_lambda_target_runs_and_unsupported_targets_are_named_gaps(
    make_function, cloud
):
    """Check that EventBridge → Lambda delivers and an unsupported target is a named gap."""
    make_function("eb-target", "def handler(e, c):\n    print(e['detail-type'])\n")
    events = boto3.client("events")
    arn = boto3.client("lambda").get_function(FunctionName="eb-target")["Configuration"][
        "FunctionArn"
    ]
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": arn}])
    events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": "{}"}])
    cloud.run_until_idle()
    assert cloud.logs("eb-target") == ["t"]
    events.put_rule(Name="k", EventPattern=json.dumps({"source": ["kin"]}))
    events.put_targets(
        Rule="k", Targets=[{"Id": "1", "Arn": "arn:aws:kinesis:us-east-1:123456789012:stream/s"}]
    )
    events.put_events(Entries=[{"Source": "kin", "DetailType": "t", "Detail": "{}"}])
    with pytest.raises(LocalCloudGap, match="EventBridge rule 'k' delivering to a kinesis target"):
        cloud.run_until_idle()
    assert cloud.trace.where(kind="delivery", outcome="dropped")


def test_disabled_eventbridge_rule_delivers_nothing(cloud, queue, drain):
    """Check that a DISABLED rule does not deliver (moto would)."""
    url, arn = queue("eb-off")
    events = boto3.client("events")
    events.put_rule(Name="off", EventPattern=json.dumps({"source": ["app"]}), State="DISABLED")
    events.put_targets(Rule="off", Targets=[{"Id": "1", "Arn": arn}])
    events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": "{}"}])
    assert drain(url) == []


def test_strict_mode_rejects_limits_moto_accepts():
    """Check strict validation of Lambda configuration."""
    with LocalCloud(strict=True):
        iam_role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")[
            "Role"
        ]["Arn"]
        lam = boto3.client("lambda")
        with pytest.raises(lam.exceptions.InvalidParameterValueException, match="Timeout 901"):
            lam.create_function(
                FunctionName="f",
                Runtime="python3.12",
                Role=iam_role,
                Handler="a.h",
                Code={"ZipFile": zip_code({"a.py": ""})},
                Timeout=901,
            )
        with pytest.raises(lam.exceptions.InvalidParameterValueException, match=r"python2\.7"):
            lam.create_function(
                FunctionName="f",
                Runtime="python2.7",
                Role=iam_role,
                Handler="a.h",
                Code={"ZipFile": zip_code({"a.py": ""})},
            )


def test_local_cloud_fixture_from_the_plugin(local_cloud):
    """Check the pytest plugin's local_cloud fixture gives a running cloud."""
    assert local_cloud.running
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_handler_magic_saves_imports_and_packages(
    tmp_path, monkeypatch, make_function, role, invoke
):
    """Check %%handler: the cell becomes functions/<name>.py, importable and packageable."""
    from dojo.cloud._magic import register_magics

    class FakeShell:
        def __init__(self) -> None:
            self.user_ns: dict = {}
            self.magics: dict = {}

        def register_magic_function(self, func, magic_kind, magic_name):
            self.magics[(magic_kind, magic_name)] = func

    import sys

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the magic adds functions/ to sys.path
    shell = FakeShell()
    assert register_magics(shell)
    cell = "def handler(event, context):\n    return 'v' + str(event['n'])\n"
    shell.magics[("cell", "handler")]("dojo_magic_demo", cell)
    assert (tmp_path / "functions" / "dojo_magic_demo.py").read_text() == cell
    assert shell.user_ns["dojo_magic_demo"].handler({"n": 1}, None) == "v1"
    shell.magics[("cell", "handler")]("dojo_magic_demo", cell.replace("'v'", "'w'"))
    assert (
        shell.user_ns["dojo_magic_demo"].handler({"n": 1}, None) == "w1"
    )  # re-running the cell reloads
    boto3.client("lambda").create_function(
        FunctionName="magic",
        Runtime="python3.12",
        Role=role,
        Handler="dojo_magic_demo.handler",
        Code={"ZipFile": package("dojo_magic_demo")},
    )
    assert invoke("magic", {"n": 2})["Body"] == "w2"
    with pytest.raises(ValueError, match="no importable module"):
        package("no_such_module_here")
    sys.modules.pop("dojo_magic_demo", None)


@pytest.mark.local_cloud(seed=5, strict=True, region="eu-west-1")
def test_local_cloud_marker_configures_the_fixture(local_cloud):
    """Check that @pytest.mark.local_cloud passes options to the fixture."""
    assert (local_cloud.seed, local_cloud.strict, local_cloud.region) == (5, True, "eu-west-1")


def test_sqs_long_poll_waits_on_the_fake_clock(cloud):
    """Check WaitTimeSeconds: no hang on the frozen clock; the wait moves time and returns early."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="long")["QueueUrl"]
    start = cloud.clock.time()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    assert cloud.clock.time() - start == pytest.approx(20)
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=5)
    start = cloud.clock.time()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)["Messages"]
    assert [m["Body"] for m in got] == ["soon"]
    assert 5 <= cloud.clock.time() - start <= 6
    slow = sqs.create_queue(QueueName="slow", Attributes={"ReceiveMessageWaitTimeSeconds": "10"})[
        "QueueUrl"
    ]
    start = cloud.clock.time()
    sqs.receive_message(QueueUrl=slow)
    assert cloud.clock.time() - start == pytest.approx(10)
