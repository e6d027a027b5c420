"""SMS domain rules, no AWS: phone numbers in E.164, segment counting, opt-out keywords.

Segments are what a store pays for: one Cyrillic or Hebrew letter (or a curly apostrophe
pasted from a word processor) turns the whole text into UCS-2 and more than doubles the count.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# --- phone numbers ----------------------------------------------------------------------


class InvalidPhoneNumber(ValueError):
    """The text is not a number an SMS can reach. ``reason`` never repeats the number (logs)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# What people type between the digits of a number: spaces (any whitespace, a pasted
# no-break space too), hyphens, dots and brackets.
_PHONE_SEPARATORS = re.compile(r"[\s().\-]")
_E164_ASCII = re.compile(r"\+[1-9][0-9]{6,14}")  # ASCII digits only: a carrier reads nothing else


def e164_as_written(raw: str | None) -> str | None:
    """``raw`` without its separators when it is written in international form and is a
    possible number of its country (``"+380 (67) 123-45-67"`` -> ``"+380671234567"``),
    else None.

    What platforms send is taken as the customer wrote it: no country is assumed for a
    number written without its code (``normalise_phone`` does that, given the country),
    and the numbering plan is not asked whether the number is assigned (test and fictional
    ranges such as +1 555 pass): only a number no carrier could route — an unassigned
    country code, a wrong length for its country — is refused."""
    import phonenumbers  # first use only, as in normalise_phone

    if not raw:
        return None
    candidate = _PHONE_SEPARATORS.sub("", raw)
    if not _E164_ASCII.fullmatch(candidate):
        return None
    try:
        number = phonenumbers.parse(candidate)
    except phonenumbers.NumberParseException:
        return None
    return candidate if phonenumbers.is_possible_number(number) else None


def normalise_phone(raw: str, default_region: str | None = None) -> str:
    """``raw`` as E.164 (``+380501234567``). ``default_region`` (ISO 3166 alpha-2, e.g. "UA")
    is the country assumed for a number written without its country code; without it only
    international forms (``+…``) are accepted."""
    import phonenumbers  # imported on first use: its metadata is large and most handlers never need it
    from phonenumbers import NumberParseException, ValidationResult

    if not raw or not raw.strip():
        raise InvalidPhoneNumber("no phone number given")
    try:
        number = phonenumbers.parse(raw, default_region.upper() if default_region else None)
    except NumberParseException as error:
        reasons = {getattr(NumberParseException, name): reason for name, reason in _PARSE_REASONS.items()}
        raise InvalidPhoneNumber(reasons.get(error.error_type, "not a phone number")) from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        reasons = {getattr(ValidationResult, name): reason for name, reason in _LENGTH_REASONS.items()}
        raise InvalidPhoneNumber(reasons.get(possible, "not a possible phone number"))
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"no such number in the plan of country code +{number.country_code}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_PARSE_REASONS = {
    "INVALID_COUNTRY_CODE": "no known country code: write it as +<country code><number> or give the customer's country",
    "NOT_A_NUMBER": "not a phone number",
    "TOO_SHORT_AFTER_IDD": "too short after the international prefix",
    "TOO_SHORT_NSN": "too short",
    "TOO_LONG": "too long",
}
_LENGTH_REASONS = {
    "INVALID_COUNTRY_CODE": "the country code does not exist",
    "TOO_SHORT": "too short",
    "TOO_LONG": "too long",
    "IS_POSSIBLE_LOCAL_ONLY": "a local number only: it cannot be reached from abroad",
    "INVALID_LENGTH": "wrong length for its country",
}


def mask_phone(phone: str | None) -> str:
    """Logs may say which customer was involved, never their number."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 4:
        return "***"
    return f"+{'*' * (len(digits) - 2)}{digits[-2:]}"


# --- segments (3GPP TS 23.038 and TS 23.040) --------------------------------------------

# The GSM 03.38 default alphabet, one septet each (0x1B, the escape to the extension table,
# is left out: it is not a character a text can contain).
GSM7_BASIC = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
# The extension table: the escape septet plus the character, so two septets each.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# Payload of one SMS is 140 octets: 160 septets or 70 UCS-2 code units. A concatenated
# message spends 6 octets of each part on the header that numbers the parts, leaving 153
# septets (the header is padded to a septet boundary) or 67 code units.
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SmsSegments:
    encoding: Encoding
    units: int  # septets for GSM-7 (an extension character is 2), UTF-16 code units for UCS-2 (an emoji is 2)
    segments: int  # the parts the carrier delivers and the store pays for
    per_segment: int  # 160 / 70 while the text fits one SMS, 153 / 67 once it is split
    forcing_ucs2: tuple[str, ...] = ()  # the characters outside GSM-7, in order of appearance


def segments(text: str) -> SmsSegments:
    """How ``text`` travels as SMS, counted the way carriers split concatenated messages.

    A character is never split across two parts: an extension character's escape septet and
    the character itself stay together, as do the two halves (surrogate pair) of an emoji.
    When the next character does not fit, the part is sent short and the character opens the
    next part, so a long text can need one part more than ``ceil(units / per_segment)``.

    National language shift tables (TS 23.038 annex A: Turkish, Portuguese, Indian scripts)
    are not used: AWS sends GSM-7 with the default alphabet or UCS-2. Amazon SNS documents
    that it breaks long texts at word boundaries, which can cost a part more than this count.
    """
    outside = tuple(dict.fromkeys(char for char in text if char not in GSM7_BASIC and char not in GSM7_EXTENSION))
    if not outside:
        widths = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return _pack("GSM-7", widths, GSM7_SINGLE, GSM7_PART, ())
    widths = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return _pack("UCS-2", widths, UCS2_SINGLE, UCS2_PART, outside)


def _pack(encoding: Encoding, widths: list[int], single: int, part: int, outside: tuple[str, ...]) -> SmsSegments:
    units = sum(widths)
    if units <= single:
        return SmsSegments(encoding, units, 1 if units else 0, single, outside)
    parts, used = 1, 0
    for width in widths:
        if used + width > part:  # never split one character's units across two parts
            parts, used = parts + 1, 0
        used += width
    return SmsSegments(encoding, units, parts, part, outside)


# --- opt-out keywords -------------------------------------------------------------------

# AWS End User Messaging's required opt-out keywords (ARRET … UNSUBSCRIBE) plus STOPALL and
# the words our customers' languages use: Ukrainian, Russian, Lithuanian, Hebrew.
STOP_KEYWORDS = frozenset(
    {
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REMOVE", "ARRET", "TD",
        "СТОП", "ВІДПИСАТИСЯ", "ВІДПИСАТИСЬ",  # uk
        "ОТПИСАТЬСЯ",  # ru
        "ATSISAKYTI",  # lt
        "הסר",  # he
    }
)  # fmt: skip

# Cyrillic capitals that look like Latin ones. Phones switch keyboards mid-word, so "ВIДПИСАТИСЯ"
# (Latin I) or "CTOП" (Latin C) must still count; both sides are folded before comparing.
_LOOKALIKES = str.maketrans("АВЕІКМНОРСТХУ", "ABEIKMHOPCTXY")
# Separators inside a keyword ("STOP ALL", "OPT-OUT", Hebrew maqaf) are dropped.
_INSIDE = re.compile(r"[\s\-\u2010-\u2015_\u05be]+")


def _keyword_form(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    # Format characters (bidi marks a Hebrew keyboard inserts, zero-width joiners) are invisible.
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    text = _INSIDE.sub("", text.casefold().upper())
    return _strip_punctuation(text).translate(_LOOKALIKES)


def _strip_punctuation(text: str) -> str:
    """Punctuation and symbols around the word ("Stop!", "«СТОП»", "STOP 🛑") do not change it."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PS":
        end -= 1
    return text[start:end]


_STOP_FORMS = frozenset(_keyword_form(keyword) for keyword in STOP_KEYWORDS)


def is_stop_keyword(text: str | None) -> bool:
    """True when the whole reply is an opt-out keyword ("stop", " Стоп! ", "הסר"), not when a
    sentence merely contains one ("don't stop sending me deals")."""
    if not text:
        return False
    return _keyword_form(text) in _STOP_FORMS
