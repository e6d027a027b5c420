"""A store's server using an official analytics SDK, unchanged, as its documentation shows.

Run as its own process (``python -m tests.integration.sdk_store`` with a JSON plan on stdin):
the SDK's consumer thread measures its upload interval with ``time.monotonic``, which the
local stack's virtual clock freezes in the test process, and a store's server lives in a
process of its own anyway. Prints, as JSON, what the SDK reported through ``on_error``.

Plan: ``{"sdk": "segment" | "rudderstack", "write_key": ..., "host": ..., "gzip": bool,
"sync_mode": bool, "calls": [{"method": "track", "args": [...], "kwargs": {...}}]}``;
``timestamp`` in kwargs is an ISO-8601 string (the SDKs take datetimes).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime


def main() -> None:
    plan = json.load(sys.stdin)
    if plan["sdk"] == "segment":
        import segment.analytics as analytics
    else:
        import rudderstack.analytics as analytics

        analytics.dataPlaneUrl = plan["host"]
    errors: list[dict] = []

    def on_error(error, batch) -> None:
        errors.append(
            {
                "status": getattr(error, "status", None),
                "code": getattr(error, "code", None),
                "message": getattr(error, "message", str(error)),
                "message_ids": [message.get("messageId") for message in batch],
            }
        )

    analytics.write_key = plan["write_key"]
    analytics.host = plan["host"]
    analytics.gzip = plan.get("gzip", True)
    analytics.sync_mode = plan.get("sync_mode", False)
    analytics.max_retries = 1
    analytics.on_error = on_error
    results = []
    for call in plan["calls"]:
        kwargs = dict(call.get("kwargs", {}))
        if "timestamp" in kwargs:
            kwargs["timestamp"] = datetime.fromisoformat(kwargs["timestamp"])
        try:
            getattr(analytics, call["method"])(*call.get("args", []), **kwargs)
            results.append("sent")
        except Exception as error:  # sync mode raises what async mode reports through on_error
            results.append(f"{type(error).__name__}: {getattr(error, 'status', '')} {error}")
    if not analytics.sync_mode:  # in sync mode there is no consumer to stop (shutdown() would fail on None)
        analytics.flush()
        analytics.shutdown()
    print(json.dumps({"errors": errors, "results": results}))


if __name__ == "__main__":
    main()
