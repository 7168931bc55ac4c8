"""Form fields rendered in Python: what ``inc/field.html`` draws (Bootstrap markup, the
widget's own classes from ``BootstrapMixin``). The template language spent about half a
millisecond on each field of a list's filter form, and select boxes cost a millisecond per few
dozen options; this costs microseconds except where a widget renders itself (``str(field)``).
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language

from crm.forms import PreparedChoices
from crm.html import esc

register = template.Library()


def _draw_options(choices, current: str | None) -> str:
    parts = []
    for value, label in choices:
        text = f"{value}"
        selected = " selected" if text == current else ""
        parts.append(f'<option value="{esc(text)}"{selected}>{esc(label)}</option>')
    return "".join(parts)


def _options(field) -> str:
    current = f"{field.value()}"
    choices = field.field.choices
    if not isinstance(choices, PreparedChoices):
        return _draw_options(choices, current)
    language = get_language()
    drawn = choices.html.get(language)
    if drawn is None:
        drawn = choices.html[language] = _draw_options(choices, None)
    option = f'<option value="{esc(current)}">'
    return drawn.replace(option, option[:-1] + " selected>")


@register.simple_tag
def render_field(field, wrapper="", small=False) -> str:
    """One field with its label, errors and help text, in a ``<div class="{wrapper}">``
    (``mb-3`` when none is given)."""
    if field.is_hidden:
        return str(field)
    widget = field.field.widget
    input_type = getattr(widget, "input_type", None)
    multiple = getattr(widget, "allow_multiple_selected", False)
    errors = field.errors
    for_id = esc(field.id_for_label or "")
    parts = [f'<div class="{esc(wrapper or "mb-3")}">']
    if input_type == "checkbox" and not multiple:
        parts.append(
            f'<div class="form-check">{field} <label class="form-check-label" for="{for_id}">'
            f"{esc(field.label)}</label></div>"
        )
    else:
        required = (
            ' <span class="text-danger" aria-hidden="true">*</span>' if field.field.required else ""
        )
        parts.append(
            f'<label class="form-label{" small" if small else ""}" for="{for_id}">'
            f"{esc(capfirst(field.label))}{required}</label>"
        )
        if multiple and input_type == "checkbox":
            options = "".join(
                f'<div class="form-check">{option.tag()} <label class="form-check-label"'
                f' for="{esc(option.id_for_label)}">'
                f"{esc(option.choice_label)}</label></div>"
                for option in field
            )
            parts.append(f'<div class="d-flex flex-wrap gap-3">{options}</div>')
        elif input_type == "select" and not multiple:
            css = esc(widget.attrs.get("class", ""))
            invalid = " is-invalid" if errors else ""
            need = " required" if field.field.required and field.form.use_required_attribute else ""
            parts.append(
                f'<select name="{esc(field.html_name)}" id="{for_id}"'
                f' class="{css}{invalid}"{need}>{_options(field)}</select>'
            )
        else:
            parts.append(str(field))
    parts += [f'<div class="invalid-feedback d-block">{esc(e)}</div>' for e in errors]
    if field.help_text:
        parts.append(f'<div class="form-text small">{esc(field.help_text)}</div>')
    parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped or a widget's own HTML
