"""SMS domain: E.164 numbers, GSM-7 / UCS-2 segments, opt-out keywords, SMS templates."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from encore.adapters.sms import InboundSms, OutgoingSms
from encore.rendering import _environment, render_text
from encore.sms import InvalidPhoneNumber, SmsSegments, e164_as_written, is_stop_keyword, mask_phone, normalise_phone, segments
from encore.stores import StoreSettings

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CART = {"recovery_url": "https://shop.example/cart"}

# --- phone numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("050 123 45 67", "UA", "+380501234567"),  # national format, the store's country assumed
        ("0038050 123-45-67", "ua", "+380501234567"),  # Ukraine's international prefix 00
        ("+380 (50) 123-45-67", None, "+380501234567"),
        ("8 (912) 345-67-89", "RU", "+79123456789"),  # trunk prefix 8
        ("8 612 34567", "LT", "+37061234567"),
        ("050-234-5678", "IL", "+972502345678"),
        ("+1 (415) 555-2671", "UA", "+14155552671"),  # an explicit country code wins over the region
        ("tel:+1-415-555-2671", None, "+14155552671"),
    ],
)
def test_phone_numbers_written_every_which_way_become_e164(raw, region, e164):
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("", "UA", "no phone number given"),
        ("050 123 45 67", None, "no known country code"),  # national form, no country to assume
        ("+999 123 456 789", None, "no known country code"),
        ("call me maybe", "UA", "not a phone number"),
        ("+380 50 12", None, "too short"),
        ("+380 50 123 45 67 89 01", None, "too long"),
        ("+380 00 123 45 67", None, "no such number in the plan of country code +380"),
    ],
)
def test_a_number_sms_cannot_reach_is_refused_with_a_reason_that_does_not_repeat_it(raw, region, reason):
    with pytest.raises(InvalidPhoneNumber) as refused:
        normalise_phone(raw, region)
    assert refused.value.reason.startswith(reason)
    assert "123" not in str(refused.value)  # reasons end up in logs


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("+380 (67) 123-45-67", "+380671234567"),
        ("+380\u00a067\t123.45.67", "+380671234567"),  # a pasted no-break space, a tab
        ("+1 555 ٣٣٣ 0100", None),  # digits other than 0-9
        ("067 123 45 67", None),  # no country code: not guessed at
        ("+0 555 0100", None),
        ("+1 23", None),  # too short for any number
        ("+1 555 555 0100", "+15555550100"),  # a fictional range: possible, so kept
        ("+999 123 456 789", None),  # no such country code
        ("+380 50 123 45 67 890", None),  # too long for Ukraine
        ("tel:+380671234567", None),
        (None, None),
    ],
)
def test_a_number_platforms_send_is_kept_only_in_international_form(raw, kept):
    assert e164_as_written(raw) == kept


def test_logs_see_only_the_last_two_digits_of_a_number():
    assert mask_phone("+380501234567") == "+**********67"
    assert mask_phone(None) == mask_phone("12") == "***"


# --- segments ---------------------------------------------------------------------------


def test_latin_text_is_gsm7_with_160_septets_in_one_sms_and_153_per_part():
    assert segments("a" * 160) == SmsSegments("GSM-7", 160, 1, 160)
    assert segments("a" * 161) == SmsSegments("GSM-7", 161, 2, 153)
    assert segments("a" * 306) == SmsSegments("GSM-7", 306, 2, 153)
    assert segments("a" * 307).segments == 3
    assert segments("") == SmsSegments("GSM-7", 0, 0, 160)


def test_the_whole_gsm_default_alphabet_stays_gsm7():
    alphabet = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    assert len(alphabet) == 127  # 128 positions less the escape to the extension table
    assert segments(alphabet) == SmsSegments("GSM-7", 127, 1, 160)


def test_extension_characters_cost_two_septets():
    assert segments("^{}\\[~]|€\f").units == 20
    assert segments("€" * 80) == SmsSegments("GSM-7", 160, 1, 160)
    assert segments("Price: 5€ " + "a" * 150).segments == 2  # 161 septets in 160 characters


def test_an_extension_character_is_never_split_across_two_parts():
    # 152 + 2 + 152 = 306 septets would fit two parts of 153, but the euro cannot start in the
    # first part's last septet and end in the second: it moves, and a third part is needed.
    text = "a" * 152 + "€" + "a" * 152
    assert segments(text) == SmsSegments("GSM-7", 306, 3, 153)
    assert segments("a" * 151 + "€" + "a" * 153).segments == 2  # the euro fills the first part exactly


def test_one_character_outside_gsm7_makes_the_whole_text_ucs2_and_names_the_culprit():
    text = "We’ve saved your cart"  # a typographic apostrophe pasted from a word processor
    assert segments(text) == SmsSegments("UCS-2", 21, 1, 70, ("’",))
    assert segments("ç").encoding == "UCS-2"  # GSM 03.38 has only the capital Ç


def test_ucs2_counts_utf16_code_units_70_in_one_sms_and_67_per_part():
    assert segments("я" * 70) == SmsSegments("UCS-2", 70, 1, 70, ("я",))
    assert segments("я" * 71) == SmsSegments("UCS-2", 71, 2, 67, ("я",))
    assert segments("😀").units == 2  # outside the BMP: a surrogate pair
    assert segments("😀" * 35).segments == 1


def test_an_emoji_is_never_split_across_two_parts():
    assert segments("я" * 66 + "😀" + "я" * 66) == SmsSegments("UCS-2", 134, 3, 67, ("я", "😀"))
    assert segments("я" * 65 + "😀" + "я" * 67).segments == 2


# --- SMS templates ----------------------------------------------------------------------


def _render_inline(source: str, locale: str, store_name: str) -> str:
    """An SMS text written inline, rendered by the environment the SMS templates use."""
    store = StoreSettings(store_id="s", postal_address="1 Main St", name=store_name)
    return _environment(locale).from_string(source).render(store=store, cart=CART).strip()


def test_the_cart_reminder_sms_sample_renders_in_one_gsm7_segment():
    text = render_text(
        "sms", "cart_reminder_1", {"locale": "en", "store": StoreSettings(store_id="s", postal_address="1 Main St", name="Shop & Co"), "cart": CART}
    )
    assert text == ("Shop & Co: your cart is still waiting for you. Pick up where you left off: https://shop.example/cart\nReply STOP to opt out")
    assert segments(text) == SmsSegments("GSM-7", 122, 1, 160)


def test_the_ukrainian_sms_counts_ucs2_segments():
    text = _render_inline(
        "{{ store.name }}: ваш кошик досі чекає на вас. Поверніться до покупок: {{ cart.recovery_url }}\nВідповідайте СТОП, щоб відписатися",
        "uk",
        "Кавова крамниця",
    )
    counted = segments(text)
    # 130 characters would be one GSM-7 SMS; in UCS-2 they are two parts of at most 67.
    assert len(text) == 130
    assert counted == SmsSegments("UCS-2", 130, 2, 67, counted.forcing_ucs2)
    assert "к" in counted.forcing_ucs2 and "і" in counted.forcing_ucs2


def test_a_latin_sms_with_a_lithuanian_store_name_stays_gsm7():
    text = _render_inline("{{ store.name }}: your cart is waiting: {{ cart.recovery_url }}\nReply STOP to opt out", "en", "Kavos namai")
    assert segments(text).encoding == "GSM-7"
    assert segments(text).segments == 1


def test_the_hebrew_sms_is_ucs2():
    text = _render_inline("{{ store.name }}: העגלה שלך עדיין מחכה לך. להשלמת ההזמנה: {{ cart.recovery_url }}\nלהסרה השב הסר", "he", "חנות הקפה")
    counted = segments(text)
    assert counted.encoding == "UCS-2"
    assert counted.units == len(text) == 90
    assert counted.segments == 2


# --- opt-out keywords -------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "STOP", "stop", "  Stop\n", "Stop!", "STOP ALL", "stopall", "Unsubscribe", "cancel", "END", "quit", "opt-out",
        "СТОП", "стоп", "Стоп.", "ВІДПИСАТИСЯ", "відписатись", "ВIДПИСАТИСЯ",  # uk, the last with a Latin I
        "ОТПИСАТЬСЯ", "отписаться",  # ru
        "ATSISAKYTI", "atsisakyti",  # lt
        "הסר", "\u200fהסר\u200f", "הסר.",  # he, with the right-to-left marks some keyboards add
        "ＳＴＯＰ",  # full-width letters
    ],
)  # fmt: skip
def test_opt_out_keywords_in_every_language_we_serve(reply):
    assert is_stop_keyword(reply)


@pytest.mark.parametrize(
    "reply",
    ["", None, "stop sending me deals please", "don't stop", "STOPP", "STOP 2", "Thanks!", "START", "HELP", "СТОПКА", "הסרה של"],
)
def test_only_a_whole_message_that_is_a_keyword_opts_out(reply):
    assert not is_stop_keyword(reply)


def test_a_stop_reply_from_the_two_way_topic_is_an_opt_out():
    message = (
        '{"originationNumber":"+380501234567","destinationNumber":"+12125550101","messageKeyword":"",'
        '"messageBody":"Стоп","inboundMessageId":"cae173d2-66b9-564c-8309-21f858e9fb84",'
        '"previousPublishedMessageId":"wJalrXUtnFEMI"}'
    )
    reply = InboundSms.from_sns_message(message)
    assert (reply.sender, reply.recipient, reply.replying_to, reply.keyword) == ("+380501234567", "+12125550101", "wJalrXUtnFEMI", None)
    assert reply.is_opt_out
    payload = json.loads(message)
    assert not InboundSms.from_sns_message({**payload, "messageBody": "When does it ship?"}).is_opt_out
    assert InboundSms.from_sns_message({**payload, "messageBody": "x", "messageKeyword": "STOP"}).is_opt_out


# --- outgoing messages ------------------------------------------------------------------


def test_an_outgoing_sms_needs_an_e164_recipient_and_a_body_both_services_accept():
    OutgoingSms(recipient="+380501234567", body="Hi", sent_at=NOW)
    with pytest.raises(ValueError, match="E.164"):
        OutgoingSms(recipient="050 123 45 67", body="Hi", sent_at=NOW)
    with pytest.raises(ValueError, match="1 to 1600"):
        OutgoingSms(recipient="+380501234567", body=" \n", sent_at=NOW)
    with pytest.raises(ValueError, match="1 to 1600"):
        OutgoingSms(recipient="+380501234567", body="a" * 1601, sent_at=NOW)
    with pytest.raises(ValueError, match="PROMOTIONAL or TRANSACTIONAL"):
        OutgoingSms(recipient="+380501234567", body="Hi", sent_at=NOW, message_type="MARKETING")
