"""Form fields rendered in Python: what ``inc/field.html`` draws (Bootstrap markup, the
widget's own classes from ``BootstrapMixin``). The template language spent about half a
millisecond on each field of a list's filter form, and select boxes cost a millisecond per few
dozen options; this costs microseconds except where a widget renders itself (``str(field)``).
"""

from django import template
from django.forms.widgets import CheckboxInput, Input
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


# Widgets whose template is Django's ``input.html`` (included by one line of their own):
# drawn here as that template draws them.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("text", "email", "url", "number", "search", "tel", "date", "checkbox")
)


def _input(field) -> str | None:
    """``str(field)`` for a plain ``<input>`` widget, as Django's ``input.html`` and
    ``attrs.html`` draw it from the widget's own context (about 0.3 ms a field in the template
    language); None for any other widget."""
    widget = field.field.widget
    if (
        not isinstance(widget, Input | CheckboxInput)
        or widget.template_name not in _INPUT_TEMPLATES
        or field.field.show_hidden_initial
        or field.field.localize
    ):
        return None
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    drawn = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    parts = [f'<input type="{esc(drawn["type"])}" name="{esc(drawn["name"])}"']
    if drawn["value"] is not None:
        parts.append(f' value="{esc(drawn["value"])}"')
    for name, value in drawn["attrs"].items():
        if value is True:
            parts.append(f" {esc(name)}")
        elif value is not False:
            parts.append(f' {esc(name)}="{esc(value)}"')
    parts.append(">")
    return "".join(parts)


def _widget(field) -> str:
    drawn = _input(field)
    return drawn if drawn is not None else str(field)


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
            f'<div class="form-check">{_widget(field)} <label class="form-check-label"'
            f' for="{for_id}">'
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
            parts.append(_widget(field))
    parts += [f'<div class="invalid-feedback d-block">{esc(e)}</div>' for e in errors]
    if field.help_text:
        parts.append(f'<div class="form-text small">{esc(field.help_text)}</div>')
    parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped or a widget's own HTML
