"""``encore coupons upload STORE FILE --offer SCENARIO.STEP``: codes a store made in its own shop
(a platform Encore cannot write coupons to) into the pool its messages take them from, one code
per message (encore.coupons). FILE: one code per line (a first line ``code`` is a CSV header)."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

from infra.cli.context import Context, OperatorError

_OFFER = re.compile(r"^[a-z][a-z-]*\.[a-z0-9_]+$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,63}$")


def _codes(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise OperatorError(f"cannot read {path}: {error}") from None
    codes = [line.split(",")[0].strip() for line in lines if line.strip()]
    if codes and codes[0].lower() == "code":
        codes = codes[1:]
    bad = [code for code in codes if not _CODE.match(code)]
    if bad:
        raise OperatorError(f"{path}: {len(bad)} lines are not coupon codes (4-64 letters, digits, - or _), first: {bad[0]!r}")
    if not codes:
        raise OperatorError(f"{path} holds no codes")
    return codes


def _run(args: argparse.Namespace, context: Context) -> int:
    from encore.coupons import stock, upload

    if not _OFFER.match(args.offer):
        raise OperatorError(f"--offer must name a scenario and its step, e.g. cart-abandonment.reminder_3 (got {args.offer!r})")
    codes = _codes(args.file)
    context.bind_table()
    added, known = upload(args.store, args.offer, codes, datetime.now(UTC))
    print(f"{args.store} {args.offer}: {added} codes added, {known} already known, {stock(args.store, args.offer)} in the pool")
    return 0


def register(commands, common) -> None:
    parser = commands.add_parser("coupons", parents=[common], help="coupon codes for stores whose shop Encore cannot write to")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    upload_parser = actions.add_parser("upload", parents=[common], help="add codes made in the shop to a step's pool")
    upload_parser.add_argument("store")
    upload_parser.add_argument("file")
    upload_parser.add_argument("--offer", required=True, metavar="SCENARIO.STEP", help="e.g. cart-abandonment.reminder_3")
    upload_parser.set_defaults(run=_run)
