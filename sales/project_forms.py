"""Forms of the project screens: the project, a planned product, the list's filters, the
links to an opportunity or an activity."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin

from .forms import DateInput, ProductChoiceField
from .models import Product, Project, ProjectStatus
from .numbers import LocalDecimalField


class ProjectForm(BootstrapMixin, forms.ModelForm):
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Project
        fields = ["name", "status", "start_on", "end_on", "description"]
        widgets = {
            "start_on": DateInput(),
            "end_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["base_version"].initial = self.instance.version
        self.style_fields()

    def clean(self):
        data = super().clean()
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", _("A project cannot end before it starts."))
        return data


class ProjectProductForm(BootstrapMixin, forms.Form):
    product = ProductChoiceField(Product.objects.none(), label=_("product"))
    planned = LocalDecimalField(label=_("planned quantity"), decimal_places=3, max_digits=12)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(active=True)
        if current is not None:
            products = Product.objects.filter(pk=current) | products
        self.fields["product"].queryset = products.order_by("code")
        self.style_fields()

    def clean_planned(self):
        value = self.cleaned_data.get("planned")
        if value is not None and value <= 0:
            raise forms.ValidationError(_("The quantity must be more than zero."))
        return value


class ProjectFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Name or partner"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Not closed")), *ProjectStatus.choices, ("all", _("All"))],
    )
    mine = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        choices=[("", _("Me and my team")), ("1", _("Mine"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class LinkForm(forms.Form):
    """The record to link (an opportunity or an activity), by its id."""

    record = forms.IntegerField(min_value=1)
