"""A new user's first deploy: `sam deploy --guided` (the real SAM CLI, in a subprocess) with
the default answer to every prompt but the two that need the user (the sender domain, the
alert address), against a local moto server standing in for the AWS account.

How far moto goes, checked with SAM CLI 1.170.0 and moto 5.2.5:
- the managed artifact stack (aws-sam-cli-managed-default) is created through a change set;
  moto's ExecuteChangeSet forgets the stack's Outputs, so SAM CLI would refuse the stack as
  "not created by the AWS SAM CLI": the fixture below gives the outputs back, as AWS does;
- the functions, the layer and the state machine definitions are zipped and uploaded to that
  bucket, the packaged template too, and CreateChangeSet succeeds: SAM CLI prints the change
  set and asks "Deploy this changeset? [y/N]" (samconfig.toml's confirm_changeset), which this
  test answers with its default, no;
- answering yes is where moto stops: it has no SAM transform (CloudFormation expands
  AWS::Serverless-2016-10-31 server side), so it skips every AWS::Serverless::* resource and
  AWS::SES::EmailIdentity, then fails resolving the outputs that name them (HTTP 500).
The deploy runs on the template itself: `sam deploy` zips each CodeUri / ContentUri folder, so
no `sam build` is needed to get this far (a real deploy wants the build, for the layer's
dependencies).
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import threading
from pathlib import Path

import boto3
import pytest

from infra.local.template import load_template

pytestmark = pytest.mark.sam

ROOT = Path(__file__).resolve().parents[2]
SENDER_DOMAIN = "shop.example.org"
ALERT_EMAIL = "ops@shop.example.org"
# The only prompts a new user must answer; every other prompt gets its default (Enter).
ANSWERS = {"Parameter SenderDomain": SENDER_DOMAIN, "Parameter AlertEmail": ALERT_EMAIL}
PROMPT = re.compile(r"([^\t\n]+?) \[([^\]\n]*)\]: $")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _sam_binary() -> str:
    sam = os.environ.get("ENCORE_SAM") or shutil.which("sam")
    if not sam or not Path(sam).exists():
        pytest.fail("aws-sam-cli not found: run through `make test`, which installs it in .venv-sam")
    return sam


@pytest.fixture
def moto_endpoint(monkeypatch):
    from moto.cloudformation import models as cloudformation
    from moto.server import ThreadedMotoServer

    original = cloudformation.CloudFormationBackend.execute_change_set

    def execute_change_set(backend, change_set_name, stack_name=None):
        # moto 5.2.5 builds a stack created by a change set from an empty template and never
        # rebuilds its outputs; CloudFormation does. Without this SAM CLI rejects its own stack.
        original(backend, change_set_name, stack_name)
        for stack in backend.stacks.values():
            if stack.template:
                stack._parse_template()
                stack.output_map = stack._create_output_map()

    monkeypatch.setattr(cloudformation.CloudFormationBackend, "execute_change_set", execute_change_set)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        # "localhost", not 127.0.0.1: moto reads the bucket of a path-style TemplateURL only then.
        yield f"http://localhost:{server.get_host_and_port()[1]}"
    finally:
        server.stop()


def _project_copy(target: Path) -> Path:
    """What a user has after `git clone`: guided deploy writes samconfig.toml back into it."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    target.mkdir()
    for name in ("template.yaml", "samconfig.toml"):
        shutil.copy(ROOT / name, target / name)
    for name in ("functions", "layers", "statemachines"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    return target


def _drive(command: list[str], cwd: Path, env: dict, timeout: float = 100) -> tuple[int, str, list[tuple[str, str, str]]]:
    """Run an interactive command, answering each `label [default]: ` prompt as a user at the
    keyboard would: ANSWERS[label], or Enter. Returns (exit code, transcript, prompts seen)."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    chunks: queue.Queue = queue.Queue()

    def read() -> None:
        while chunk := process.stdout.read1(4096):
            chunks.put(chunk)
        chunks.put(None)

    threading.Thread(target=read, daemon=True).start()
    transcript, answered_up_to, prompts = "", 0, []
    try:
        while (chunk := chunks.get(timeout=timeout)) is not None:
            transcript += ANSI.sub("", chunk.decode("utf-8", "replace"))
            found = PROMPT.search(transcript, answered_up_to)
            if found:
                label = found.group(1).strip()
                answer = ANSWERS.get(label, "")
                prompts.append((label, found.group(2), answer))
                process.stdin.write(f"{answer}\n".encode())
                process.stdin.flush()
                answered_up_to = len(transcript)
        return process.wait(timeout=timeout), transcript, prompts
    finally:
        if process.poll() is None:
            process.kill()


def test_guided_deploy_with_default_answers_reaches_the_change_set(tmp_path, moto_endpoint):
    project = _project_copy(tmp_path / "encore")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),  # no ~/.aws of the machine, no SAM CLI metadata of the user
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "SAM_CLI_TELEMETRY": "0",
    }
    code, transcript, prompts = _drive([_sam_binary(), "deploy", "--guided"], project, env)

    assert "Security Constraints Not Satisfied" not in transcript and "has no authentication" not in transcript, transcript
    assert code == 0, transcript[-3000:]
    labels = [label for label, _, _ in prompts]
    # Every template parameter is asked for, in order, and only ours got anything but Enter.
    parameters = list(load_template(ROOT / "template.yaml")["Parameters"])
    assert [label.removeprefix("Parameter ") for label in labels if label.startswith("Parameter ")] == parameters
    assert {label: answer for label, _, answer in prompts if answer} == ANSWERS
    assert ("Stack Name", "encore", "") in prompts  # samconfig.toml's stack name is the default
    assert ("Confirm changes before deploy", "Y/n", "") in prompts
    assert labels[-1] == "Deploy this changeset?", labels  # the last prompt is the change set's
    assert "Changeset created successfully" in transcript

    # What reached the "account": the packaged artifacts, the change set with our parameters.
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    cloudformation = session.client("cloudformation", endpoint_url=moto_endpoint)
    # (moto lists every stack's change sets here: keep the deploy's own)
    (change_set,) = [s for s in cloudformation.list_change_sets(StackName="encore")["Summaries"] if s["StackName"] == "encore"]
    assert change_set["Status"] == "CREATE_COMPLETE"
    described = cloudformation.describe_change_set(StackName="encore", ChangeSetName=change_set["ChangeSetId"])
    parameters_sent = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    assert parameters_sent["SenderDomain"] == SENDER_DOMAIN and parameters_sent["AlertEmail"] == ALERT_EMAIL
    # (moto keeps no Capabilities on a change set: read what SAM CLI says it sent)
    assert re.search(r'Capabilities\s+: \["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"\]', transcript), transcript
    s3 = session.client("s3", endpoint_url=moto_endpoint)
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("aws-sam-cli-managed-default-")]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix="encore/")["Contents"]]
    (packaged_key,) = [key for key in keys if key.endswith(".template")]
    packaged = s3.get_object(Bucket=bucket, Key=packaged_key)["Body"].read().decode()
    assert "Transform: AWS::Serverless-2016-10-31" in packaged
    code_uris = re.findall(r"(?:CodeUri|ContentUri): (\S+)", packaged)
    assert code_uris and all(uri.startswith(f"s3://{bucket}/encore/") for uri in code_uris), code_uris

    # The answers were saved: the next `sam deploy` asks nothing.
    saved = (project / "samconfig.toml").read_text()
    assert f'SenderDomain=\\"{SENDER_DOMAIN}\\"' in saved or f"SenderDomain={SENDER_DOMAIN}" in saved, saved
