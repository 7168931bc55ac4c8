"""Links to records, built once per URL pattern: ``reverse()`` costs about a tenth of a
millisecond, which a page of 50 rows with two links each pays 100 times (and every
``{% url %}`` tag with integer arguments: crm.templatetags.crm_builtins)."""

from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse

# Placeholders for the arguments: as numbers no record reaches, so that the converters (``int``)
# accept them and they stand out of the rest of the URL.
_PLACEHOLDERS = (2_147_483_647, 2_147_483_646, 2_147_483_645)
_PATTERNS: dict[tuple, list[str] | None] = {}


def int_args_url(name: str, args) -> str | None:
    """``reverse(name, args=args)`` for URL patterns whose arguments are integers (up to
    three), from the pattern reversed once with placeholders; None when that cannot be told
    apart (a placeholder refused, missing from the URL or met twice): then ask ``reverse``."""
    key = (name, len(args), get_script_prefix(), get_urlconf())
    pieces = _PATTERNS.get(key, False)
    if pieces is False:
        pieces = _PATTERNS[key] = _pieces(name, len(args))
    if pieces is None:
        return None
    out = [pieces[0]]
    for value, piece in zip(args, pieces[1:], strict=True):
        out.append(str(value))
        out.append(piece)
    return "".join(out)


def _pieces(name: str, count: int) -> list[str] | None:
    namespace = name.rpartition(":")[0].split(":")[0]
    if count > len(_PLACEHOLDERS) or (
        # an application deployed under several instance namespaces: the request's current
        # instance decides which URL reverse() gives
        namespace and len(get_resolver(get_urlconf()).app_dict.get(namespace, ())) > 1
    ):
        return None
    try:
        url = reverse(name, args=list(_PLACEHOLDERS[:count]))
    except NoReverseMatch:  # a pattern that refuses such numbers (``[0-9]{4}``, a converter)
        return None
    pieces = []
    for placeholder in map(str, _PLACEHOLDERS[:count]):
        if url.count(placeholder) != 1:
            return None
        before, _, url = url.partition(placeholder)
        pieces.append(before)
    return [*pieces, url]


def record_url(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for URL patterns with one integer argument."""
    url = int_args_url(name, (pk,))
    return url if url is not None else reverse(name, args=[pk])


_FIXED: dict[tuple[str, str], str] = {}


def fixed_url(name: str) -> str:
    """``reverse(name)`` for URL patterns without arguments (menus, the shell's polls), kept
    per script prefix: the URLs do not change while the server runs."""
    key = (name, get_script_prefix())
    url = _FIXED.get(key)
    if url is None:
        url = _FIXED[key] = reverse(name)
    return url
