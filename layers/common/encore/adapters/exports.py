"""Where privacy exports go: an S3 bucket the store owner can read (encrypted, expiring)."""

from __future__ import annotations

import json

from encore.adapters.aws import client


class S3ExportSink:
    def __init__(self, bucket: str):
        self.bucket = bucket

    def put(self, key: str, document: dict) -> str:
        client("s3").put_object(
            Bucket=self.bucket,
            Key=key,
            Body=json.dumps(document, indent=2).encode("utf-8"),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )
        return f"s3://{self.bucket}/{key}"
