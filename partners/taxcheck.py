"""A partner's tax number checked with the tax authority (NAV), for the partner form and the
import (``crm.integrations.nav`` is the client).

The checksum (``crm.validators``) always applies. When NAV is set up, a number NAV calls
invalid is refused; when NAV is not set up or gives no verdict (timeout, refused connection,
5xx, funcCode ERROR), the checksum alone decides and the user is told so. NAV's verdicts are
cached for ``CACHE_SECONDS`` (the form's live check and its save ask once; an import asks each
distinct number once); no verdict is kept for ``UNANSWERED_CACHE_SECONDS`` only, so the save
right after a live check that timed out does not wait for NAV again.
"""

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from crm.integrations import nav

CACHE_SECONDS = 6 * 60 * 60
UNANSWERED_CACHE_SECONDS = 60
IMPORT_MAX_NUMBERS = 200  # distinct tax numbers one import preview asks NAV about
IMPORT_WORKERS = 4  # NAV queries at a time during an import preview
IMPORT_BUDGET_SECONDS = 30  # no new NAV query after this long in one preview

VALID, INVALID, UNCHECKED, UNANSWERED = "valid", "invalid", "unchecked", "unanswered"

INVALID_MESSAGE = _(
    "The tax authority (NAV) says this is not a valid tax number of any taxpayer; check the number."
)


@dataclass(frozen=True)
class TaxCheck:
    state: str  # VALID, INVALID, UNCHECKED (NAV not set up), UNANSWERED (NAV gave no verdict)
    taxpayer: nav.Taxpayer | None = None

    @property
    def message(self):
        if self.state == INVALID:
            return INVALID_MESSAGE
        if self.state == UNANSWERED:
            return nav.NavError.message
        if self.state == UNCHECKED:
            return nav.NotConfigured.message
        return ""


def _key(core: str) -> str:
    where = hashlib.sha256(f"{settings.NAV_TAXPAYER_URL}|{settings.NAV_LOGIN}".encode())
    return f"nav-taxpayer:{where.hexdigest()[:16]}:{core}"


def check(tax_number: str) -> TaxCheck:
    """NAV's verdict on a tax number that passed the checksum (normalised or not)."""
    if not nav.configured():
        return TaxCheck(UNCHECKED)
    core = tax_number.replace("-", "").replace(" ", "")[:8]
    cached = cache.get(_key(core))
    if cached is not None:
        return cached
    try:
        taxpayer = nav.query_taxpayer(tax_number)
    except nav.NavError:
        result = TaxCheck(UNANSWERED)
        cache.set(_key(core), result, UNANSWERED_CACHE_SECONDS)
        return result
    result = TaxCheck(VALID if taxpayer.valid else INVALID, taxpayer)
    cache.set(_key(core), result, CACHE_SECONDS)
    return result


@dataclass
class ImportChecks:
    """NAV's verdicts on the tax numbers of one import preview, each number asked once."""

    verdicts: dict[str, TaxCheck] = field(default_factory=dict)  # core -> verdict
    unanswered: bool = False  # NAV gave no verdict: the rest is checked by checksum only
    capped: bool = False  # more distinct numbers than IMPORT_MAX_NUMBERS
    started: float = field(default_factory=time.monotonic)

    def invalid_numbers(self, tax_numbers) -> set[str]:
        """Which of these (normalised) numbers NAV calls invalid; asks NAV about the ones it
        has not yet, a few at a time, and stops at the first missing verdict."""
        if not nav.configured() or self.unanswered:
            return set()
        wanted = {}  # core -> a full number with it (the client checks the whole number)
        for number in tax_numbers:
            if number[:8] not in self.verdicts:
                wanted.setdefault(number[:8], number)
        room = max(IMPORT_MAX_NUMBERS - len(self.verdicts), 0)
        if not self._in_time():
            room = 0
        if len(wanted) > room:
            self.capped = True
            wanted = dict(list(wanted.items())[:room])
        if wanted:
            self._ask(list(wanted.values()))
        return {t for t in tax_numbers if self._state(t) == INVALID}

    def _state(self, number: str) -> str:
        verdict = self.verdicts.get(number[:8])
        return verdict.state if verdict else UNCHECKED

    def _in_time(self) -> bool:
        return time.monotonic() - self.started <= IMPORT_BUDGET_SECONDS

    def _ask(self, numbers: list[str]) -> None:
        # the first tells whether NAV answers at all, so a NAV that is down costs one timeout
        self._keep(numbers[0], check(numbers[0]))
        if self.unanswered or len(numbers) == 1:
            return
        with ThreadPoolExecutor(max_workers=IMPORT_WORKERS) as pool:
            for number, verdict in zip(numbers[1:], pool.map(check, numbers[1:]), strict=True):
                self._keep(number, verdict)

    def _keep(self, number: str, verdict: TaxCheck) -> None:
        if verdict.state == UNANSWERED:
            self.unanswered = True
        else:
            self.verdicts[number[:8]] = verdict
