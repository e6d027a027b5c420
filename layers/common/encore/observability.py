"""One place for logging, tracing and metrics, shared by every function."""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "encore"
NAMESPACE = "Encore"  # the CloudWatch namespace of every metric (encore.signals lists them)

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def mask_email(email: str | None) -> str:
    """Logs may say which customer was involved, never their address."""
    if not email or "@" not in email:
        return "***"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
