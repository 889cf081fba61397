"""IAM enforcement on request (``LocalCloud(enforce_iam=True)``).

Every boto3 call made in this process is checked before it is sent, with the cloud's policy
evaluator (:mod:`._policy`), for the services and operations whose resource ARN the cloud can
compute exactly:

* **DynamoDB** — every operation on a table (``TableName``, batch ``RequestItems``,
  ``TransactItems``; ``IndexName`` → ``table/t/index/i``); ``ListTables`` etc. against ``*``;
* **SQS** — every operation on a queue (``QueueUrl``; ``CreateQueue`` by name);
  ``ListQueues`` against ``*``; queue policies are honoured;
* **Lambda** — ``Invoke`` (``lambda:InvokeFunction``, qualified ARN when a qualifier is
  given) and the function operations that take ``FunctionName``; function policies honoured;
* **S3** — object reads, writes and deletes (``GetObject``/``HeadObject`` → ``s3:GetObject``,
  ``PutObject``, ``DeleteObject``), ``ListObjects(V2)`` → ``s3:ListBucket``, bucket create
  and delete, ``ListBuckets``; bucket policies are honoured.

Who is calling: inside a handler, the function's execution role (its inline and attached
policies); outside, the principal of the client's credentials — an IAM user (user, group and
attached policies) or a role assumed with ``sts.assume_role``. The default credentials act as
the account root and are never denied. Explicit Deny wins; an Allow in the resource policy
suffices within the account. Not enforced: other services (SNS topics, for example, are open
to the account through their default policy), permission boundaries, SCPs, session policies,
and condition keys other than those the evaluator is given (``aws:SourceArn`` and friends are
absent on client calls). A denied call raises ``ClientError`` with the service's
``AccessDenied`` code and AWS's message, and shows in the trace.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore import handlers as botocore_handlers
from botocore.exceptions import ClientError

from ._active import active, current_invocation

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["ENFORCED_SERVICES", "IamEnforcer", "register_iam_handler"]

ENFORCED_SERVICES = ("dynamodb", "sqs", "lambda", "s3")
"""Services whose calls ``enforce_iam=True`` checks."""

_S3_ACTIONS = {
    "GetObject": ("s3:GetObject", "object"),
    "HeadObject": ("s3:GetObject", "object"),
    "PutObject": ("s3:PutObject", "object"),
    "DeleteObject": ("s3:DeleteObject", "object"),
    "ListObjects": ("s3:ListBucket", "bucket"),
    "ListObjectsV2": ("s3:ListBucket", "bucket"),
    "CreateBucket": ("s3:CreateBucket", "bucket"),
    "DeleteBucket": ("s3:DeleteBucket", "bucket"),
    "ListBuckets": ("s3:ListAllMyBuckets", "*"),
}
_ERRORS = {
    "dynamodb": ("AccessDeniedException", 400),
    "sqs": ("AccessDenied", 403),
    "lambda": ("AccessDeniedException", 403),
    "s3": ("AccessDenied", 403),
}
_registered = False


def _before_sign(
    request: Any = None, request_signer: Any = None, operation_name: str = "", **_: Any
) -> None:
    cloud = active()
    if cloud is None or not cloud.enforce_iam or request is None:
        return
    cloud.iam.check(request, request_signer, operation_name)


def register_iam_handler(session: Any = None) -> None:
    """Add the check to botocore's built-in handlers once (and to an existing session)."""
    global _registered
    if _registered:
        return
    botocore_handlers.BUILTIN_HANDLERS.append(("before-sign", _before_sign))
    _registered = True
    if session is not None:
        session.events.register("before-sign", _before_sign, unique_id="dojo-cloud-iam")


class IamEnforcer:
    """Decides whether a boto3 call is allowed (``cloud.iam``)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud

    # -- principals ----------------------------------------------------------------------
    def _iam(self, account: str) -> Any:
        from moto.iam.models import iam_backends

        return iam_backends[account]["aws"]

    def principal(self, access_key: str | None) -> tuple[str, list[Any]] | None:
        """(ARN, identity policy documents) of the caller, or None for the account root."""
        invocation = current_invocation()
        if invocation is not None:
            return self._function_role(invocation.function_name)
        if not access_key:
            return None
        from moto.iam.models import iam_backends

        for account in list(iam_backends.keys()):
            backend = iam_backends[account]["aws"]
            key = backend.access_keys.get(access_key)
            if key is None:
                continue
            role_arn = getattr(key, "role_arn", None)
            if role_arn:
                return self._role(role_arn, "session")
            if key.user_name:
                return self._user(backend, key.user_name)
        return None

    def _documents(self, holder: Any) -> list[Any]:
        documents: list[Any] = list((getattr(holder, "policies", None) or {}).values())
        for policy in (getattr(holder, "managed_policies", None) or {}).values():
            for version in getattr(policy, "versions", []):
                if getattr(version, "is_default_version", False):
                    documents.append(version.document)
        return [json.loads(d) if isinstance(d, str) else d for d in documents]

    def _role(self, role_arn: str, session: str) -> tuple[str, list[Any]]:
        account = role_arn.split(":")[4]
        name = role_arn.rsplit("/", 1)[-1]
        caller = f"arn:aws:sts::{account}:assumed-role/{name}/{session}"
        try:
            role = self._iam(account).get_role_by_arn(role_arn)
        except Exception:
            return caller, []  # a role that does not exist grants nothing
        return caller, self._documents(role)

    def _user(self, backend: Any, name: str) -> tuple[str, list[Any]]:
        user = backend.get_user(name)
        documents = self._documents(user)
        for group in backend.get_groups_for_user(name):
            documents += self._documents(group)
        return str(user.arn), documents

    def _function_role(self, function_name: str) -> tuple[str, list[Any]] | None:
        import os

        from ._lambda import _backend

        region = os.environ.get("AWS_REGION") or self.cloud.region
        try:
            fn = _backend(self.cloud.account_id, region).get_function(function_name)
        except Exception:
            return None
        caller, documents = self._role(str(fn.role), function_name)
        return caller, documents

    # -- requests -------------------------------------------------------------------------
    def requests_for(
        self, service: str, operation: str, params: dict[str, Any], region: str, account: str
    ) -> list[tuple[str, str]]:
        """The (action, resource ARN) pairs a call needs, or [] if it is not checked."""
        if service == "dynamodb":
            base = f"arn:aws:dynamodb:{region}:{account}:table/"
            action = f"dynamodb:{operation}"
            tables: list[str] = []
            if "TableName" in params:
                name = str(params["TableName"])
                index = params.get("IndexName")
                tables.append(f"{base}{name}" + (f"/index/{index}" if index else ""))
            for name in params.get("RequestItems") or {}:
                tables.append(f"{base}{name}")
            for item in params.get("TransactItems") or []:
                for part in item.values():
                    if isinstance(part, dict) and "TableName" in part:
                        tables.append(f"{base}{part['TableName']}")
            return [(action, t) for t in tables] or [(action, "*")]
        if service == "sqs":
            action = f"sqs:{operation}"
            url = params.get("QueueUrl")
            if url:
                parts = str(url).rstrip("/").split("/")
                return [(action, f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}")]
            if "QueueName" in params:
                return [(action, f"arn:aws:sqs:{region}:{account}:{params['QueueName']}")]
            return [(action, "*")]
        if service == "lambda":
            name = str(params.get("FunctionName") or "")
            if not name:
                return []
            from ._lambda import split_function

            function, qualifier = split_function(str(name), params.get("Qualifier"))
            arn_account = str(name).split(":")[4] if str(name).startswith("arn:") else account
            arn_region = str(name).split(":")[3] if str(name).startswith("arn:") else region
            arn = f"arn:aws:lambda:{arn_region}:{arn_account}:function:{function}"
            if qualifier:
                arn += f":{qualifier}"
            action = "lambda:InvokeFunction" if operation == "Invoke" else f"lambda:{operation}"
            return [(action, arn)]
        if service == "s3":
            found = _S3_ACTIONS.get(operation)
            if found is None:
                return []
            action, scope = found
            if scope == "*":
                return [(action, "*")]
            bucket = params.get("Bucket", "")
            if scope == "object":
                return [(action, f"arn:aws:s3:::{bucket}/{params.get('Key', '')}")]
            return [(action, f"arn:aws:s3:::{bucket}")]
        return []

    def _resource_policy(self, service: str, resource: str, params: dict[str, Any]) -> Any:
        try:
            if service == "s3":
                from moto.s3.models import s3_backends

                bucket_name = resource.split(":::", 1)[1].split("/", 1)[0]
                bucket = s3_backends[self.cloud.account_id]["aws"].buckets.get(bucket_name)
                policy = getattr(bucket, "policy", None)
                return json.loads(policy) if policy else None
            if service == "sqs":
                from moto.sqs.models import sqs_backends

                _, _, _, region, account, name = resource.split(":", 5)
                queue = sqs_backends[account][region].queues.get(name)
                policy = getattr(queue, "policy", None)
                return json.loads(policy) if policy else None
            if service == "lambda":
                from ._lambda import _backend, split_function

                parts = resource.split(":")
                name, qualifier = split_function(resource)
                return json.loads(_backend(parts[4], parts[3]).get_policy(name, qualifier))
        except Exception:
            return None
        return None

    def check(self, request: Any, request_signer: Any, operation_name: str) -> None:
        """Raise ClientError (AccessDenied) if the caller may not make this call."""
        context = getattr(request, "context", {}) or {}
        service = getattr(request_signer, "_service_id", None)
        service_name = str(getattr(service, "hyphenize", lambda: service)() or "")
        service_name = {"dynamodb": "dynamodb", "sqs": "sqs", "lambda": "lambda", "s3": "s3"}.get(
            service_name, ""
        )
        if not service_name:
            return
        credentials = getattr(request_signer, "_credentials", None)
        access_key = getattr(credentials, "access_key", None) if credentials else None
        principal = self.principal(access_key)
        if principal is None:
            return
        caller, documents = principal
        account = caller.split(":")[4]
        region = context.get("client_region") or self.cloud.region
        params = context.get("dojo_params") or {}
        from ._policy import evaluate_policy

        for action, resource in self.requests_for(
            service_name, operation_name, params, region, account
        ):
            decision = evaluate_policy(documents, action, resource) if documents else None
            allowed = decision == "Allow"
            explicit = decision == "Deny"
            if not explicit:
                policy = self._resource_policy(service_name, resource, params)
                if policy is not None:
                    granted = evaluate_policy(policy, action, resource, {"Principal": caller})
                    if granted == "Deny":
                        explicit, allowed = True, False
                    elif granted == "Allow" and not allowed:
                        allowed = True
            if allowed and not explicit:
                continue
            code, status = _ERRORS[service_name]
            why = (
                "with an explicit deny"
                if explicit
                else f"because no identity-based policy allows the {action} action"
            )
            message = (
                f"User: {caller} is not authorized to perform: {action} "
                f"on resource: {resource} {why}"
            )
            hop = context.get("dojo_hop")
            if hop is not None:
                self.cloud.trace.update(
                    hop,
                    outcome="error",
                    summary=f"{resource} -> {code}",
                    detail={"note": "iam deny", "principal": caller},
                )
            raise ClientError(
                {
                    "Error": {"Code": code, "Message": message},
                    "ResponseMetadata": {"HTTPStatusCode": status},
                },
                operation_name,
            )
