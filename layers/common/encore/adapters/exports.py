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

    def delete_under(self, prefix: str) -> int:
        """Delete every export under ``prefix`` (an erased customer's); returns how many."""
        s3 = client("s3")
        deleted = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                deleted += len(keys)
        return deleted
