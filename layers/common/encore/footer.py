"""What the footer of every email says about why the customer gets it.

The footer itself is ``templates/email/_footer.html`` (included by ``base.html``) and
``_footer.txt`` (appended to every text part by ``rendering.render_email``): the sentence
chosen here, the visible unsubscribe and "manage preferences" links of marketing email (the
same signed URL as its ``List-Unsubscribe`` header, ``encore.unsubscribe``) and the store's
postal address (``StoreSettings.postal_address``), which CAN-SPAM and the Gmail / Yahoo
bulk-sender rules ask of every marketing email.
"""

from __future__ import annotations

# Why the customer gets an email, by template name prefix (the longest that matches wins).
# Each reason is one sentence per language in the footer templates.
REASONS: dict[str, str] = {
    "cart_reminder": "cart",
    "cart_threshold_nudge": "cart",
    "cart_thank_you": "ordered",
    "browse_reminder": "browsed",
    "up_sell_offer": "browsed",
    "up_sell_reminder": "browsed",
    "up_sell_thank_you": "ordered",
    "welcome": "signed_up",
    "cross_sell": "ordered",
    "review": "ordered",
    "education_tip": "ordered",
    # Transactional: about the customer's own order or account.
    "order_confirmation": "order",
    "shipping_notice": "order",
    "delivery_notice": "order",
    "payment_reminder": "order",
    "registration_confirmation": "account",
}
DEFAULT_REASON = "shopped"


def reason_for(template: str) -> str:
    matches = [prefix for prefix in REASONS if template.startswith(prefix)]
    return REASONS[max(matches, key=len)] if matches else DEFAULT_REASON
