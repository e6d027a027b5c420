"""Scheduled jobs (EventBridge Scheduler, template.yaml): the schedule's input names the job.

- ``{"job": "reconcile"}`` (hourly): every Shopify or WooCommerce store with admin API
  credentials is reconciled from the end of its last scheduled run (``encore.reconcile``):
  what the shop's webhooks never delivered goes through the ingest path, where dedupe makes
  a second sight harmless.
- ``{"job": "coupon_cleanup"}`` (daily): expired unused coupon codes, and erased customers'
  codes the shop could not be told about at the time, are deleted at the shop
  (``encore.coupons.cleanup_expired``).

One store's failure does not stop the others; a reconcile that failed for a store fails the
invocation at the end (Lambda retries it twice, then the failure queue and its alarm), and
its window stays open for the next run. A cleanup failure leaves the codes due for the next day.
"""

import json
from collections.abc import Iterator

from aws_lambda_powertools.utilities.typing import LambdaContext

from encore.adapters.aws import client
from encore.adapters.bus import EventBridgePublisher
from encore.adapters.secrets import SsmStoreParameters, shop_name
from encore.clock import utcnow
from encore.coupons import cleanup_on_schedule
from encore.observability import logger, tracer
from encore.reconcile import reconcile_on_schedule
from encore.runtime import HandlerSettings

SETTINGS = HandlerSettings("event_bus_name")  # checked before each invocation

ADMIN_PLATFORMS = ("shopify", "woocommerce")


def stores_with_shops(prefix: str) -> Iterator[tuple[str, dict]]:
    """Every registered store and its shop document (``{prefix}/stores/{store}/shop``)."""
    for page in client("ssm").get_paginator("get_parameters_by_path").paginate(Path=f"{prefix}/stores", Recursive=True):
        for parameter in page["Parameters"]:
            store_id = parameter["Name"].removeprefix(f"{prefix}/stores/").split("/")[0]
            if parameter["Name"] == shop_name(prefix, store_id):
                yield store_id, json.loads(parameter["Value"])


class ScheduledJobFailed(RuntimeError):
    """Some stores' runs failed (named in the log): Lambda's retries and the failure queue."""


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    settings = SETTINGS.configure()
    parameters = SsmStoreParameters(settings.parameters_prefix)
    job = event.get("job")
    if job not in ("reconcile", "coupon_cleanup"):
        raise ValueError(f"unknown scheduled job {job!r}: the schedule's input names reconcile or coupon_cleanup")
    now = utcnow()
    done: dict[str, dict] = {}
    failed: list[str] = []
    for store_id, shop in stores_with_shops(settings.parameters_prefix):
        if shop.get("platform") not in ADMIN_PLATFORMS:
            continue  # the generic API has no shop to read from or write to
        credentials = parameters.admin_credentials(store_id)
        try:
            if job == "reconcile":
                if credentials is None:
                    logger.warning("store not reconciled: no admin API credentials", extra={"store_id": store_id})
                    continue
                report = reconcile_on_schedule(
                    store_id,
                    shop,
                    credentials=credentials,
                    now=now,
                    parameters=parameters,
                    publisher=EventBridgePublisher(settings.event_bus_name),
                )
                done[store_id] = {kind: count.recovered for kind, count in report.counts.items()}
            else:
                done[store_id] = vars(cleanup_on_schedule(store_id, shop, credentials, now))
        except Exception:
            logger.exception("scheduled job failed for a store", extra={"store_id": store_id, "job": job})
            failed.append(store_id)
    logger.info("scheduled job done", extra={"job": job, "stores": done, "failed": failed})
    if failed:
        raise ScheduledJobFailed(f"{job} failed for {len(failed)} stores: {', '.join(failed)}")
    return {"job": job, "stores": done}
