"""HTML escaping for loops that build many cells or options in Python."""

from html import escape as _escape


def esc(value) -> str:
    """``django.utils.html.conditional_escape`` without its lazy-argument wrapper, which cost
    more than the escaping itself in a list of a few hundred cells: safe strings (anything
    with ``__html__``) pass as they are, everything else is escaped (the same entities)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape(str(value))
