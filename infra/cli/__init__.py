"""``encore``: the operator's command line for a deployed Encore stack (and the local one:
the same AWS calls, pointed at another endpoint).

    encore [--profile P] [--region R] [--endpoint-url URL] [--prefix /encore] COMMAND ...

    encore store add STORE --platform shopify|woocommerce|generic [--shop-domain D | --site-url U] [--settings FILE]
    encore store show STORE
    encore settings load STORE FILE [--force]
    encore catalogue import STORE FILE
    encore secret rotate STORE webhook-secret|unsubscribe-key|api-key|admin-api
    encore tracking-key create|list STORE · encore tracking-key revoke STORE KEY
    encore webhooks register|check STORE
    encore smoke STORE
    encore customer show STORE CUSTOMER
    encore replay --since TIME [--until TIME]
    encore reconcile STORE --since TIME [--until TIME]
    encore redrive STORE|--all

The deployed stack's resource names come from the ``{prefix}/stack`` parameter the template
writes, so only the account (profile, region, endpoint) and the prefix are needed. Every
operator mistake ends in one line on stderr (``encore: ...``): exit 2 for usage, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys

from infra.cli.context import Context, OperatorError, aws_environment

EXIT_FAILURE = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line too (argparse prints the usage first)."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        print(f"encore: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    # On the top level with defaults; repeated on every command without (SUPPRESS), so they
    # may come before or after the command and the top level's value is not overwritten.
    default = (lambda value: value) if defaults else (lambda value: argparse.SUPPRESS)
    parser.add_argument("--profile", default=default(None), help="AWS profile (default: the SDK's usual chain)")
    parser.add_argument("--region", default=default(None), help="AWS region (default: AWS_REGION / the profile's)")
    parser.add_argument("--endpoint-url", default=default(None), help="one endpoint for every AWS service (a local stack); AWS_ENDPOINT_URL works too")
    parser.add_argument("--prefix", default=default("/encore"), help="the stack's SSM parameter prefix (default /encore)")


def build_parser() -> argparse.ArgumentParser:
    from infra.cli import coupons, customers, reconcile, redrive, replay, settings, smoke, stores, tracking, webhooks

    parser = _Parser(prog="encore", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    _global_options(parser, defaults=True)
    common = _Parser(add_help=False)
    _global_options(common, defaults=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (stores, settings, webhooks, smoke, customers, replay, reconcile, redrive, coupons, tracking):
        module.register(commands, common)
    return parser


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def explain(error: BaseException) -> str | None:
    """The one line an operator sees for a known failure; None for a bug (traceback)."""
    import botocore.exceptions as aws
    from pydantic import ValidationError

    if isinstance(error, OperatorError):
        return str(error)
    if isinstance(error, ValidationError):
        problems = [f"{'.'.join(str(part) for part in problem['loc']) or 'document'}: {problem['msg']}" for problem in error.errors()]
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        return f"invalid {error.title}: {shown}"
    if isinstance(error, aws.NoCredentialsError):
        return "no AWS credentials found (use --profile, or set AWS_PROFILE / AWS_ACCESS_KEY_ID)"
    if isinstance(error, aws.NoRegionError):
        return "no AWS region (use --region, or set AWS_DEFAULT_REGION)"
    if isinstance(error, aws.ProfileNotFound):
        return f"no AWS profile named {error.kwargs.get('profile')!r} (see ~/.aws/config)"
    if isinstance(error, aws.EndpointConnectionError):
        return f"cannot reach the AWS endpoint {error.kwargs.get('endpoint_url')} (check --endpoint-url / --region and the network)"
    if isinstance(error, aws.ClientError):
        detail = error.response.get("Error", {})
        operation = getattr(error, "operation_name", "") or "a request"
        return f"AWS refused {operation}: {detail.get('Code', 'error')}: {detail.get('Message', '')}".rstrip(": ")
    if isinstance(error, aws.BotoCoreError):
        return f"AWS SDK error: {error}"
    if isinstance(error, FileNotFoundError):
        return f"no such file: {error.filename}"
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
    webhooks = sys.modules.get("infra.webhooks")
    if webhooks is not None and isinstance(error, getattr(webhooks, "ShopAdminError", ())):
        return str(error)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        with aws_environment(args.profile, args.region, args.endpoint_url):
            return args.run(args, Context(prefix=args.prefix.rstrip("/")))
    except KeyboardInterrupt:
        print("encore: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # one place turns known failures into one line
        message = explain(error)
        if message is None:
            raise
        print(f"encore: {_one_line(message)}", file=sys.stderr)
        return EXIT_FAILURE
