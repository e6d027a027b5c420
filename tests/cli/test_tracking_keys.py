"""``encore tracking-key create|list|revoke`` (the installed command against the local
stack): the key it prints is accepted by the browser endpoint until it is revoked; every
mistake is one line on stderr."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.cli.test_cli import Cli, cli, one_line_error  # noqa: F401 - the fixture
from tests.conftest import STORE_ID

ROOT = Path(__file__).resolve().parents[2]


def _encore(cli: Cli, *args: str) -> subprocess.CompletedProcess:
    """This checkout's ``encore`` (``infra.cli.main``): the installed command may be another
    checkout's editable install."""
    env = cli.environment(PYTHONPATH=f"{ROOT}:{ROOT / 'layers' / 'common'}")
    code = "import sys; from infra.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cli.tmp, timeout=120)


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _view(url: str) -> int:
    body = json.dumps(
        {"type": "track", "event": "Product Viewed", "messageId": "m1", "anonymousId": "visitor-0123456789ab", "properties": {"product_id": "1"}}
    ).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain", "User-Agent": FIREFOX})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_created_key_is_listed_accepted_by_the_endpoint_and_refused_once_revoked(cli: Cli, harness):
    created = _encore(cli, "tracking-key", "create", STORE_ID)
    assert created.returncode == 0, created.stderr
    key = re.search(r"pk_[A-Za-z0-9_-]+", created.stdout).group(0)
    endpoint = next(line.split(": ", 1)[1] for line in created.stdout.splitlines() if line.startswith("storefront endpoint"))
    assert endpoint == f"{harness.client.api_url}/v1/t/{key}"
    assert _view(endpoint) == 202
    harness.clock.settle()

    listed = _encore(cli, "tracking-key", "list", STORE_ID)
    assert listed.returncode == 0 and key in listed.stdout and "1 public tracking key(s)" in listed.stdout
    assert _encore(cli, "tracking-key", "revoke", STORE_ID, key).returncode == 0
    from encore.adapters.secrets import clear_cache

    clear_cache()  # the functions' 5-minute parameter cache, here in one process
    assert _view(endpoint) == 401

    one_line_error(_encore(cli, "tracking-key", "revoke", STORE_ID, key), 1, "is not a tracking key of store")
    one_line_error(_encore(cli, "tracking-key", "create", "no-such-store"), 1, "unknown store 'no-such-store'")
    one_line_error(_encore(cli, "tracking-key"), 2, "required")
