"""crm_forms.render_field draws plain <input> widgets in Python: the same HTML as Django's
widget templates, for every kind of input, bound or not, valid or not, hostile values too."""

import datetime

import pytest
from django import forms

from crm.forms import BootstrapMixin
from crm.templatetags.crm_forms import _input, _widget, render_field

HOSTILE = "\"><script>alert(1)</script>&amp; 'x"


class EveryInput(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=100, help_text="Family name first")
    optional = forms.CharField(required=False, strip=False)
    email = forms.EmailField(required=False)
    website = forms.URLField(required=False, assume_scheme="https")
    headcount = forms.IntegerField(min_value=0, max_value=10**6, required=False)
    share = forms.DecimalField(max_digits=5, decimal_places=2, required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    search = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"type": "search", "placeholder": HOSTILE})
    )
    agree = forms.BooleanField(required=False)
    must = forms.BooleanField()
    locked = forms.CharField(required=False, disabled=True, initial="zárt")
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    secret = forms.CharField(required=False, widget=forms.PasswordInput)
    note = forms.CharField(required=False, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


DATA = [
    None,
    {},
    {"name": HOSTILE, "optional": " ", "email": "nem-email", "headcount": "-5", "agree": "on"},
    {"name": "Kovács", "headcount": "12", "share": "1.5", "day": "2026-11-22", "must": "on"},
    {"name": "x" * 101, "website": "javascript:alert(1)", "day": "tegnap", "search": HOSTILE},
]


@pytest.mark.parametrize("data", DATA)
def test_inputs_are_drawn_as_django_draws_them(data):
    initial = {"day": datetime.date(2026, 11, 22), "optional": HOSTILE, "headcount": 7}
    form = EveryInput(data, initial=initial) if data is not None else EveryInput(initial=initial)
    if data is not None:
        form.is_valid()
    drawn = 0
    for field in form:
        assert _widget(field) == str(field), field.name
        drawn += _input(field) is not None
    # every plain input is drawn here; hidden, password and textarea are Django's
    assert drawn == 11


def test_render_field_escapes_what_it_is_given():
    form = EveryInput({"name": HOSTILE})
    form.is_valid()
    html = render_field(form["name"])
    assert "<script>" not in html and "&lt;script&gt;" in html
