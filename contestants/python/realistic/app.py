"""The Python realistic contestant of the cold-start war.

At init: parses config.json, hashes it (SHA-256, hashlib), builds an HTTP client (urllib3's
PoolManager) and an S3 client of boto3 (configuration, credentials provider chain, retry policy);
no request is sent. Per Invocation: parses the event, hashes it and answers
{language, region, keys, eventSha256, configSha256}.
"""

import hashlib
import json
import os

import boto3
import urllib3
from botocore.config import Config

_ROOT = os.environ.get("LAMBDA_TASK_ROOT", ".")
with open(os.path.join(_ROOT, "config.json"), "rb") as _file:
    _TEXT = _file.read()
CONFIG = json.loads(_TEXT)
CONFIG_SHA256 = hashlib.sha256(_TEXT).hexdigest()

HTTP = urllib3.PoolManager(
    maxsize=CONFIG["http"]["maxConnections"],
    timeout=urllib3.Timeout(
        connect=CONFIG["http"]["connectTimeoutMs"] / 1000,
        read=CONFIG["http"]["readTimeoutMs"] / 1000,
    ),
)
S3 = boto3.client(
    "s3",
    region_name=CONFIG["region"],
    endpoint_url=CONFIG["endpoint"],
    config=Config(
        retries={"mode": CONFIG["retry"]["mode"], "max_attempts": CONFIG["retry"]["maxAttempts"]},
        connect_timeout=CONFIG["http"]["connectTimeoutMs"] / 1000,
        read_timeout=CONFIG["http"]["readTimeoutMs"] / 1000,
        max_pool_connections=CONFIG["http"]["maxConnections"],
    ),
)


def handler(event, context):
    # The runtime hands over the parsed event; hash its compact form (the bytes as sent for
    # compact JSON), parsed again as a function that received a string would.
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    parsed = json.loads(body)
    return {
        "language": "python",
        "region": S3.meta.region_name,
        "keys": len(parsed) if isinstance(parsed, dict) else 0,
        "eventSha256": hashlib.sha256(body).hexdigest(),
        "configSha256": CONFIG_SHA256,
    }
