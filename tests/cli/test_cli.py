"""The installed ``encore`` command (``.venv/bin/encore``, no PYTHONPATH) against the local
stack, exposed to it through moto's server (the subprocess shares the in-process backends).

Every operator mistake must end in one line on stderr, ``encore: ...``, with exit 2 for usage
and 1 otherwise — never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from tests.conftest import STORE_ID

OLENA = "603851970716743426"
ROOT = Path(__file__).resolve().parents[2]


def _encore() -> str:
    found = Path(sys.prefix) / "bin" / "encore"
    if found.exists():
        return str(found)
    on_path = shutil.which("encore")
    if not on_path:
        pytest.fail("the encore command is not installed: run `make .venv/.installed` (pip install -e .)")
    return on_path


@dataclass
class Cli:
    endpoint: str
    tmp: Path

    def environment(self, **changes: str | None) -> dict:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH" and not key.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
            AWS_CONFIG_FILE=str(self.tmp / "no-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.tmp / "no-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            TZ="UTC",
        )
        for key, value in changes.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def __call__(self, *args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([_encore(), *args], input=stdin, capture_output=True, text=True, env=env or self.environment(), cwd=self.tmp, timeout=120)

    def file(self, name: str, content: object) -> str:
        path = self.tmp / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)


@pytest.fixture
def cli(harness, tmp_path):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield Cli(f"http://{host}:{port}", tmp_path)
    server.stop()


def one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("encore: "), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def _parameter(name: str) -> str:
    return boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


def test_every_operator_mistake_is_one_line_on_stderr_and_a_non_zero_exit(cli):
    settings = json.loads((ROOT / "infra/stores/demo-store.json").read_text())
    cases = [
        (2, ["store"], {}, ["required"]),
        (2, ["store", "add", "x", "--platform", "magento"], {}, ["invalid choice"]),
        (2, ["replay", "--since", "yesterday"], {}, ["not an ISO 8601 time"]),
        (1, ["store", "show", "no-such-store"], {}, ["unknown store 'no-such-store'"]),
        (1, ["settings", "load", STORE_ID, "missing.json"], {}, ["no such file: missing.json"]),
        (1, ["settings", "load", STORE_ID, cli.file("broken.json", '{"version": 3,')], {}, ["is not valid JSON"]),
        (1, ["settings", "load", STORE_ID, cli.file("typo.json", {"version": 3, "cart_abandonmnet": {}})], {}, ["invalid StoreSettings", "cart_abandonmnet"]),
        (1, ["settings", "load", STORE_ID, cli.file("old.json", {**settings, "version": 0})], {}, ["version 0 is not newer than the loaded version 0"]),
        # Marketing on, no postal address: the line names the missing field.
        (
            1,
            ["settings", "load", STORE_ID, cli.file("no-address.json", {key: value for key, value in settings.items() if key != "postal_address"})],
            {},
            ["invalid StoreSettings", "postal_address: ", "postal address is required"],
        ),
        (1, ["catalogue", "import", STORE_ID, cli.file("catalogue.json", [{"product_id": "x"}])], {}, ["invalid", "title"]),
        (1, ["store", "add", "new-shop", "--platform", "shopify"], {}, ["no webhook secret given on stdin"]),
        (1, ["store", "add", "new-shop", "--platform", "shopify", "--shop-domain", "other.myshopify.com"], {}, ["does not match store 'new-shop'"]),
        (1, ["store", "show", STORE_ID], {"AWS_REGION": None, "AWS_DEFAULT_REGION": None}, ["no AWS region"]),
        (1, ["store", "show", STORE_ID], {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}, ["no AWS credentials"]),
        (
            1,
            ["store", "show", STORE_ID],
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"},
            ["cannot reach the AWS endpoint http://127.0.0.1:9"],
        ),
        (1, ["replay", "--since", "2026-11-01T00:00:00Z", "--prefix", "/elsewhere"], {}, ["no Encore stack found", "/elsewhere/stack"]),
        (1, ["webhooks", "check", "no-such-store"], {}, ["no-such-store"]),  # (the local store has a fake shop with credentials)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: cli(*case[1], env=cli.environment(**case[2])), cases))
    for (code, _args, _, fragments), result in zip(cases, results):
        one_line_error(result, code, *fragments)
    assert json.loads(_parameter(f"/encore/stores/{STORE_ID}/settings"))["version"] == 0  # nothing was loaded


def test_store_add_show_and_rotate_round_trip_and_settings_versions(cli):
    admin = cli.file("admin.json", {"access_token": "shpat_not_a_real_token"})
    added = cli("store", "add", "corner-shop", "--platform", "shopify", "--admin-credentials-file", admin, stdin="shop-secret-1\n")
    assert added.returncode == 0, added.stderr
    api_key = next(line.rsplit(" ", 1)[1] for line in added.stdout.splitlines() if "API key" in line)
    assert _parameter("/encore/secrets/corner-shop/webhook-secret") == "shop-secret-1"
    assert json.loads(_parameter("/encore/stores/corner-shop/shop")) == {
        "platform": "shopify",
        "shop_domain": "corner-shop.myshopify.com",
        "api_version": "2025-10",
    }
    assert json.loads(_parameter("/encore/secrets/corner-shop/admin-api")) == {"access_token": "shpat_not_a_real_token"}
    from encore.adapters.secrets import api_key_digest

    assert _parameter(f"/encore/api-keys/{api_key_digest(api_key)}") == "corner-shop"
    one_line_error(cli("store", "add", "corner-shop", "--platform", "shopify", stdin="x"), 1, "already exists")

    shown = cli("store", "show", "corner-shop")
    assert shown.returncode == 0, shown.stderr
    assert "platform: shopify (corner-shop.myshopify.com)" in shown.stdout and "settings: version 0" in shown.stdout
    assert "webhook-secret: set, last changed" in shown.stdout and "admin-api: set" in shown.stdout
    assert "1 key(s) verify" in shown.stdout and "generic API keys: 1" in shown.stdout
    assert "shop-secret-1" not in shown.stdout and "shpat_" not in shown.stdout

    assert cli("secret", "rotate", "corner-shop", "webhook-secret", stdin="shop-secret-2").returncode == 0
    assert _parameter("/encore/secrets/corner-shop/webhook-secret") == "shop-secret-2"
    assert cli("secret", "rotate", "corner-shop", "unsubscribe-key").returncode == 0
    keys = json.loads(_parameter("/encore/secrets/corner-shop/unsubscribe-keys"))
    assert len(keys["keys"]) == 2 and keys["current"] in keys["keys"]
    rotated = cli("secret", "rotate", "corner-shop", "api-key")
    assert rotated.returncode == 0 and "revoked 1 old key(s)" in rotated.stdout
    one_line_error(cli("secret", "rotate", "corner-shop", "admin-api", stdin='{"consumer_key": "ck"}'), 1, "lacks access_token")

    v3 = cli.file("v3.json", {"version": 3, "name": "Corner shop", "postal_address": "1 Corner Street\nSpringfield"})
    assert cli("settings", "load", "corner-shop", v3).stdout.strip() == "loaded settings version 3 for corner-shop"
    v2 = cli.file("v2.json", {"version": 2, "postal_address": "1 Corner Street"})
    one_line_error(cli("settings", "load", "corner-shop", v2), 1, "version 2 is not newer than the loaded version 3")
    assert cli("settings", "load", "corner-shop", v2, "--force").returncode == 0

    generic = cli("store", "add", "app-shop", "--platform", "generic")
    assert generic.returncode == 0, generic.stderr
    assert "webhook secret (sign every request with it; shown once)" in generic.stdout


def _post(url: str) -> int:
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_unsubscribe_links_sent_before_a_key_rotation_still_work_after_it(cli, harness):
    harness.checkout()
    harness.run_until(timedelta(hours=2))
    (reminder,) = harness.emails()
    url = reminder["List-Unsubscribe"].strip("<>")
    kid_before = json.loads(_parameter(f"/encore/secrets/{STORE_ID}/unsubscribe-keys"))["current"]
    assert f".{kid_before}." in url

    rotated = cli("secret", "rotate", STORE_ID, "unsubscribe-key")
    assert rotated.returncode == 0, rotated.stderr
    keys = json.loads(_parameter(f"/encore/secrets/{STORE_ID}/unsubscribe-keys"))
    assert keys["current"] != kid_before and kid_before in keys["keys"]
    forged = url.replace(f".{kid_before}.", f".{keys['current']}.")  # the old signature under the new key
    assert _post(forged) == 404
    assert _post(url) == 200
    assert harness.profile(OLENA)["accepts_email_marketing"] is False


def test_customer_show_masks_contact_data_and_explains_journeys_and_messages(cli, harness):
    harness.checkout()
    harness.run_until(timedelta(hours=2))
    shown = cli("customer", "show", STORE_ID, OLENA)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "olena@example.com" not in out and "email o***@e***.com" in out
    assert "email marketing: granted at 2026-10-01T12:00:00Z" in out
    journey = next(line for line in out.splitlines() if line.strip().startswith(f"cart-abandonment-{STORE_ID}-{OLENA}-"))
    assert "RUNNING" in journey and "Wait for an order or the second reminder time" in journey
    assert "next wake-up 2026-11-03T09:00:00Z" in journey
    assert "reminder_1: cart_reminder_1 by email, sent at 2026-11-02T10:00:00Z" in out
    one_line_error(cli("customer", "show", STORE_ID, "nobody"), 1, "no customer 'nobody'")


def test_smoke_posts_a_signed_checkout_sees_its_journey_start_and_stops_it(cli, harness):
    result = cli("smoke", STORE_ID)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SES: production access" in result.stdout and "DKIM SUCCESS" in result.stdout
    arn = next(line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("journey started: "))
    assert "journey waiting: Wait for an order or the first reminder time" in result.stdout
    # moto's engine ends a stopped execution only when its current wait ends (AWS at once,
    # as ABORTED; moto reports the wait's timeout as FAILED): past the first reminder's moment
    # it has ended without ever reaching a send step.
    harness.run_until(timedelta(days=2))
    assert boto3.client("stepfunctions").describe_execution(executionArn=arn)["status"] != "RUNNING"
    entered = [event["stateEnteredEventDetails"]["name"] for event in harness.stack.history(arn) if "stateEnteredEventDetails" in event]
    assert not any(name.startswith("Send") for name in entered), entered
    assert entered[-1] == "Wait for an order or the first reminder time", entered
    assert harness.stack.sent_emails() == []

    harness.stack.ses_production_access = False
    sandbox = cli("smoke", STORE_ID)
    assert sandbox.returncode == 0 and "warning: SES is in the sandbox" in sandbox.stdout


def test_webhooks_register_twice_leaves_one_subscription_per_topic(tmp_path):
    # Collected only where the webhooks module and its shop fakes exist (infra.webhooks).
    pytest.importorskip("infra.webhooks")
    shops = pytest.importorskip("infra.local.shops.shopify")
    _webhooks_round_trip(shops, tmp_path)


def _webhooks_round_trip(shops, tmp_path):
    from moto.server import ThreadedMotoServer

    from infra.local.stack import LocalStack

    with LocalStack() as stack, shops.FakeShopify(shop_domain="corner-shop.myshopify.com", access_token="shpat_fake") as shop:
        stack.serve_http_api()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            cli = Cli(f"http://{host}:{port}", tmp_path)
            admin = cli.file("admin.json", {"access_token": "shpat_fake"})
            assert cli("store", "add", "corner-shop", "--platform", "shopify", "--admin-credentials-file", admin, stdin="s").returncode == 0
            ssm = boto3.client("ssm")
            document = json.loads(_parameter("/encore/stores/corner-shop/shop"))
            # Only the local fakes need this key: it points the admin API client at them.
            ssm.put_parameter(Name="/encore/stores/corner-shop/shop", Value=json.dumps({**document, "admin_base_url": shop.url}), Type="String", Overwrite=True)
            first, second = cli("webhooks", "register", "corner-shop"), cli("webhooks", "register", "corner-shop")
            assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
            topics = [topic for topic, _ in shop.topics()]
            assert topics and len(topics) == len(set(topics)), topics
            assert all(uri == stack.stack_parameter()["api_url"] + "/webhooks/shopify" for _, uri in shop.topics())
            assert " created " in first.stdout and " created " not in second.stdout
            checked = cli("webhooks", "check", "corner-shop")
            assert checked.returncode == 0, checked.stdout + checked.stderr
        finally:
            server.stop()
