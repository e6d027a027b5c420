"""Email channel: MIME built here (so headers such as Date are ours), sent through SES v2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Protocol

from encore.adapters.aws import client


@dataclass(frozen=True)
class OutgoingEmail:
    sender: str
    recipient: str
    subject: str
    html: str
    text: str
    sent_at: datetime
    headers: tuple[tuple[str, str], ...] = ()
    tags: tuple[tuple[str, str], ...] = ()  # SES message tags (come back on its events)

    def to_mime(self) -> bytes:
        # SMTP line endings; long header lines (List-Unsubscribe URLs) are allowed up to RFC
        # 5322's 998 characters instead of being folded into encoded words clients won't read.
        message = EmailMessage(policy=SMTP.clone(max_line_length=998))
        message["From"] = self.sender
        message["To"] = self.recipient
        message["Subject"] = self.subject
        message["Date"] = format_datetime(self.sent_at)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2].rstrip(">") or None)
        for name, value in self.headers:
            message[name] = value
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        return message.as_bytes()


class EmailSender(Protocol):
    def send(self, email: OutgoingEmail) -> str: ...


class SesEmailSender:
    def __init__(self, configuration_set: str | None = None):
        self.configuration_set = configuration_set

    def send(self, email: OutgoingEmail) -> str:
        request: dict[str, object] = {
            "FromEmailAddress": email.sender,
            "Destination": {"ToAddresses": [email.recipient]},
            "Content": {"Raw": {"Data": email.to_mime()}},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        if email.tags:
            request["EmailTags"] = [{"Name": name, "Value": value} for name, value in email.tags]
        return client("sesv2").send_email(**request)["MessageId"]
