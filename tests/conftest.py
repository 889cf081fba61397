"""Project-wide test settings: UTC, fake AWS credentials, no real AWS endpoints."""

import os

# Pinned before any test imports boto3, so no test can reach a real account.
os.environ.update(
    {
        "TZ": "UTC",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
)
os.environ.pop("AWS_PROFILE", None)
