"""dojo.cloud — a local, Docker-free AWS in which functions run and events flow.

moto keeps the AWS state; this package runs Lambda handlers in-process and delivers events with
AWS semantics on a fake clock, records every hop in a trace and injects chaos::

    import boto3, dojo.cloud

    with dojo.cloud.LocalCloud() as cloud:
        lam = boto3.client("lambda")
        lam.create_function(FunctionName="hello", Runtime="python3.12", Role=role_arn,
                            Handler="app.handler",
                            Code={"ZipFile": dojo.cloud.zip_code({"app.py": source})})
        lam.invoke(FunctionName="hello", InvocationType="Event", Payload=b"{}")
        cloud.run_until_idle()          # the async invoke runs here
        print(cloud.logs("hello"), cloud.trace)
"""

from ._chaos import Chaos, Injection
from ._clock import Clock
from ._cloud import LocalCloud, open
from ._deadline import sim_sleep
from ._errors import HookBroken, LocalCloudError, LocalCloudGap
from ._hooks import check_hooks
from ._http import ApiResponse
from ._packaging import package, zip_code
from ._policy import PolicyDecision, PolicyEvaluator, evaluate_policy
from ._runtime import EnvironmentInfo, InvocationResult, LambdaContext
from ._server import CloudServer
from ._trace import Hop, Trace
from . import scenarios  # noqa: E402 - built-in scenarios for LocalCloud.scenario()

__all__ = [
    "ApiResponse",
    "Chaos",
    "Clock",
    "CloudServer",
    "EnvironmentInfo",
    "HookBroken",
    "Hop",
    "Injection",
    "InvocationResult",
    "LambdaContext",
    "LocalCloud",
    "LocalCloudError",
    "LocalCloudGap",
    "PolicyDecision",
    "PolicyEvaluator",
    "Trace",
    "check_hooks",
    "evaluate_policy",
    "open",
    "package",
    "scenarios",
    "sim_sleep",
    "zip_code",
]
