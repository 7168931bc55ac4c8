"""Labels of choices drawn in loops, kept per language: ``get_FOO_display()`` builds a dict of
the field's choices and translates on every call (about 40 µs on the benchmark machine)."""

from django.db import models
from django.utils.translation import get_language

_labels: dict[tuple[type[models.Choices], str | None], dict] = {}


def choice_labels(choices: type[models.Choices]) -> dict:
    """value → the current language's label, for every value of ``choices``; a loop asks once
    (the language is read from the thread's state, which costs a few µs)."""
    key = (choices, get_language())
    labels = _labels.get(key)
    if labels is None:
        labels = _labels[key] = {value: str(label) for value, label in choices.choices}
    return labels


def choice_label(choices: type[models.Choices], value) -> str:
    """The current language's label of ``value`` among ``choices``; an unknown value as it is,
    as ``get_FOO_display()`` shows it."""
    return choice_labels(choices).get(value, value)
