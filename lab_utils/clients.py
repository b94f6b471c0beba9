"""Clients for the lab's services that a notebook uses beside MLflow's own."""

from __future__ import annotations

import os

from .config import LabConfig


def s3_client(config: LabConfig, access_key: str | None = None, secret_key: str | None = None,
              endpoint_url: str | None = None):
    """A boto3 S3 client for the lab's object store (its own keys unless others are given)."""
    import boto3
    from botocore.config import Config as BotoConfig

    if access_key is None or secret_key is None:
        creds = config.s3_credentials()
        access_key, secret_key = creds.access_key, creds.secret_key
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or config.s3_endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=BotoConfig(
            connect_timeout=2, read_timeout=10, retries={"max_attempts": 1},
            s3={"addressing_style": "path"},
        ),
    )
