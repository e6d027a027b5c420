"""A local HTTP server for the HTTP API routes in template.yaml (payload format 2.0).

moto does not execute API Gateway integrations, so this server plays that part: it turns
each request into the event API Gateway would send, invokes the route's function through
moto's Lambda API (which runs the handler in-process), and writes the function's response.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import boto3

from infra.local.template import ACCOUNT_ID

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # HTTP API's own limit
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded", "application/problem+json")


def _path_pattern(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


class LocalHttpApi:
    def __init__(self, routes: list[tuple[str, str, str]], host: str = "127.0.0.1", port: int = 0):
        self.routes = [(method, path, _path_pattern(path), function) for method, path, function in routes]
        # One client for every request (a new one costs 5 to 10 ms), created here on the
        # caller's thread: creating botocore clients is not thread-safe, using them is.
        self._lambda = boto3.client("lambda")
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet: tests and the demo print their own summaries
                pass

            def _handle(self) -> None:
                api.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle

        self._server = ThreadingHTTPServer((host, port), Handler)
        # A short poll: shutdown() waits for the loop to look up, and every test stops a server.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="local-http-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _match(self, method: str, path: str):
        for route_method, route_path, pattern, function in self.routes:
            found = pattern.match(path)
            if found and route_method in (method, "ANY"):
                return route_path, function, found.groupdict()
        return None

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            return self._reply(request, 413, {"content-type": "application/json"}, json.dumps({"message": "Request Entity Too Large"}).encode())
        body = request.rfile.read(length) if length else b""
        matched = self._match(request.command, parts.path)
        if matched is None:
            return self._reply(request, 404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
        route_path, function, path_parameters = matched
        event = self._event(request, parts, body, route_path, path_parameters)
        response = self._lambda.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            return self._reply(request, 500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
        if not isinstance(payload, dict) or "statusCode" not in payload:
            # Payload format 2.0 lets a function return just a body.
            return self._reply(request, 200, {"content-type": "application/json"}, json.dumps(payload).encode())
        raw = payload.get("body") or ""
        if not isinstance(raw, str):  # API Gateway would reject a non-string body: say so loudly
            return self._reply(request, 502, {"content-type": "application/json"}, b'{"message":"Function returned a non-string body"}')
        data = base64.b64decode(raw) if payload.get("isBase64Encoded") else raw.encode()
        return self._reply(request, int(payload["statusCode"]), payload.get("headers") or {}, data)

    @staticmethod
    def _event(request, parts, body: bytes, route_path: str, path_parameters: dict) -> dict:
        headers = {name.lower(): value for name, value in request.headers.items()}
        content_type = headers.get("content-type", "")
        # A compressed body is binary whatever its content type (gzip from Segment's SDKs):
        # it reaches the function base64-encoded.
        encoded = headers.get("content-encoding", "identity").strip().lower() not in ("", "identity")
        is_text = not body or (not encoded and any(content_type.startswith(kind) for kind in TEXT_TYPES))
        try:
            text = body.decode("utf-8") if is_text else None
        except UnicodeDecodeError:
            text = None
        now = time.time()
        route_key = f"{request.command} {route_path}"
        return {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": parts.path,
            "rawQueryString": parts.query,
            "headers": headers,
            "queryStringParameters": dict(pair.split("=", 1) if "=" in pair else (pair, "") for pair in parts.query.split("&") if pair) or None,
            "pathParameters": path_parameters or None,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": "local",
                "domainName": headers.get("host", "127.0.0.1"),
                "domainPrefix": "local",
                "http": {
                    "method": request.command,
                    "path": parts.path,
                    "protocol": request.request_version,
                    "sourceIp": request.client_address[0],
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": route_key,
                "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            "body": text if text is not None else base64.b64encode(body).decode(),
            "isBase64Encoded": text is None,
        }

    @staticmethod
    def _reply(request, status: int, headers: dict, data: bytes) -> None:
        request.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
