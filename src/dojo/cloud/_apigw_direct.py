"""Direct (``AWS``) integrations of REST APIs: DynamoDB actions and SQS queues.

The request template (``application/json``) is rendered with :mod:`._vtl`, sent to the service
in this cloud (as the API's account and region), and the answer is mapped through the
integration response whose ``selectionPattern`` matches the status (or the default one), with
its ``application/json`` template (``$input.json('$')``, ``$input.path('$.Item')`` ...).

* DynamoDB: ``arn:aws:apigateway:{region}:dynamodb:action/{Action}`` with a JSON template of the
  action's request (``{"TableName": "t", "Key": {...}}``). Errors answer 400 with the
  DynamoDB error document, as the service returns it.
* SQS: ``arn:aws:apigateway:{region}:sqs:path/{account}/{queue}`` with a form template
  (``Action=SendMessage&MessageBody=$util.urlEncode($input.body)``). The answer is the JSON form
  of the query API (``{"SendMessageResponse": {"SendMessageResult": {...}}}``), which AWS
  returns when the integration sends ``Accept: application/json``; XML answers are not produced.

Not supported: other services and action styles, the integration's ``credentials`` role (calls
are made with the cloud's own permissions), passthrough behaviour for unmapped content types,
and VTL directives.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ._errors import LocalCloudGap
from ._http import ApiResponse

if TYPE_CHECKING:
    from ._apigateway import ApiRouter, Routed

__all__ = ["direct_integration"]

_AWS_URI = re.compile(r"arn:aws[a-z-]*:apigateway:([a-z0-9-]+):([a-z0-9-]+):(action|path)/(.+)")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def direct_integration(
    router: ApiRouter, api: Any, stage: Any, routed: Routed, integration: Any
) -> ApiResponse:
    """Run one ``AWS`` integration and map its answer."""
    from botocore.exceptions import ClientError, ParamValidationError

    from ._apigateway import _internal_error, _select_response
    from ._vtl import render

    match = _AWS_URI.match(integration.uri or "")
    if match is None:
        raise LocalCloudGap(f"the AWS integration URI {integration.uri!r}")
    region, service, style, rest = match.groups()
    variables = dict(getattr(stage, "variables", None) or {})
    template = (integration.request_templates or {}).get("application/json")
    params = router.template_params(routed)
    context = router.template_context(api, routed)
    body_text = (
        render(
            template,
            body=routed.request.body,
            params=params,
            context=context,
            stage_variables=variables,
        )
        if template is not None
        else (routed.request.body or b"").decode()
    )
    client = router.cloud.client(service, region) if service in ("dynamodb", "sqs") else None
    status = 200
    try:
        if service == "dynamodb" and style == "action" and client is not None:
            request = json.loads(body_text or "{}")
            answer: Any = getattr(client, _snake(rest))(**request)
            answer.pop("ResponseMetadata", None)
        elif service == "sqs" and style == "path" and client is not None:
            from ._apigateway import parse_form

            account, _, queue = rest.partition("/")
            form = parse_form(body_text)
            action = form.pop("Action", "SendMessage")
            if action != "SendMessage":
                raise LocalCloudGap(f"SQS action {action!r} in a direct integration")
            queue_url = f"https://sqs.{region}.amazonaws.com/{account}/{queue}"
            result = client.send_message(
                QueueUrl=queue_url, MessageBody=form.get("MessageBody", "")
            )
            result.pop("ResponseMetadata", None)
            answer = {
                "SendMessageResponse": {
                    "SendMessageResult": {
                        "MD5OfMessageBody": result.get("MD5OfMessageBody"),
                        "MessageId": result.get("MessageId"),
                    },
                    "ResponseMetadata": {"RequestId": routed.request_id},
                }
            }
        else:
            raise LocalCloudGap(
                f"direct integrations with {service} ({style}/{rest})",
                hint="The local cloud runs DynamoDB actions and SQS SendMessage directly.",
            )
    except ClientError as exc:
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
        error = exc.response.get("Error", {})
        answer = {"__type": error.get("Code"), "message": error.get("Message")}
    except (ValueError, TypeError, ParamValidationError) as exc:
        # A rendered template that is not the action's request: AWS answers with the service's
        # validation error; the local cloud says what went wrong.
        status = 400
        answer = {"__type": "SerializationException", "message": str(exc)}
    raw = json.dumps(answer, default=str)
    chosen = _select_response(integration.integration_responses or {}, str(status))
    if chosen is None:
        return _internal_error()
    out_template = (chosen.response_templates or {}).get("application/json")
    body = (
        render(
            out_template,
            body=raw.encode(),
            params=params,
            context=context,
            stage_variables=variables,
        )
        if out_template
        else raw
    )
    from ._apigateway import _static_headers

    return ApiResponse(
        int(chosen.status_code), _static_headers(chosen.response_parameters), body.encode()
    )
