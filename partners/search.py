"""Text normalisation shared by the search triggers' SQL (``lower(unaccent(…))``, phones as
bare digits) and the queries: what the user types is compared accent- and case-insensitively."""

import re
import unicodedata

PHONE_LIKE = re.compile(r"^[\d\s+()/-]{4,}$")


def normalise(text: str) -> str:
    """``Kovács Ödön`` → ``kovacs odon``; something that looks like a phone number becomes its
    digits, with a domestic ``06`` prefix read as ``36`` (``06 30 123-4567`` →
    ``36301234567``), so a number typed any way finds the stored one."""
    text = (text or "").strip()
    if PHONE_LIKE.match(text):
        digits = re.sub(r"\D", "", text)
        return "36" + digits[2:] if digits.startswith("06") else digits
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(text.split())[:100]
