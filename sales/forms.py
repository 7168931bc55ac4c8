"""Forms of the opportunity screens: the header, a line, a stage move, a call back, the list's
filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin

from .models import LostReason, Opportunity, OpportunityStatus, Product, Stage, Subcontractor
from .numbers import LocalDecimalField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CompetitorsField(forms.CharField):
    """Competitors typed as a list separated by commas or semicolons."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        names = [name.strip()[:100] for name in text.replace(";", ",").split(",")]
        return list(dict.fromkeys(name for name in names if name))[:20]


class OpportunityForm(BootstrapMixin, forms.ModelForm):
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    competitors = CompetitorsField(
        label=_("competitors"),
        required=False,
        help_text=_("Separated by commas."),
    )
    probability = forms.IntegerField(
        label=_("probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Empty: the stage's default."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "contact",
            "stage",
            "source",
            "source_detail",
            "probability",
            "expected_close",
            "currency",
            "competitors",
            "description",
        ]
        widgets = {
            "expected_close": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, partner, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = partner.contacts.filter(erased_at__isnull=True)
        if self.instance.pk:
            # the stage moves by the state machine; the currency is fixed by the lines
            del self.fields["stage"]
            del self.fields["currency"]
            if not self.is_bound:
                self.fields["base_version"].initial = self.instance.version
        else:
            open_stages = [s.pk for s in stages if s.status == OpportunityStatus.OPEN]
            self.fields["stage"].queryset = Stage.objects.filter(pk__in=open_stages)
            self.fields["stage"].required = False
            self.fields["stage"].empty_label = None
        self.style_fields()

    def clean_probability(self):
        value = self.cleaned_data.get("probability")
        if value is None:
            stage = self.cleaned_data.get("stage") or getattr(self.instance, "stage", None)
            return stage.probability if stage else None
        return value


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} – {obj.name} ({obj.get_unit_display()})"


class LineForm(BootstrapMixin, forms.Form):
    product = ProductChoiceField(Product.objects.none(), label=_("product"))
    quantity = LocalDecimalField(label=_("quantity offered"), decimal_places=3)
    quantity_fulfilled = LocalDecimalField(
        label=_("quantity fulfilled"), decimal_places=3, required=False
    )
    description = forms.CharField(label=_("description"), max_length=300, required=False)
    manual_price = LocalDecimalField(
        label=_("unit price by hand"),
        decimal_places=2,
        required=False,
        help_text=_("Empty: the price list's and the discount rules' price."),
    )
    manual_discount = LocalDecimalField(
        label=_("discount by hand (%)"), decimal_places=2, required=False
    )
    reason = forms.CharField(
        label=_("reason of the price by hand"),
        max_length=300,
        required=False,
        help_text=_("Needed beyond the company's limit."),
    )
    subcontractors = forms.ModelMultipleChoiceField(
        Subcontractor.objects.none(),
        label=_("subcontractors"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, company_id, line=None, **kwargs):
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(active=True)
        if line is not None and line.product_id:
            products = Product.objects.filter(pk=line.product_id) | products
        self.fields["product"].queryset = products.order_by("code")
        self.fields["subcontractors"].queryset = Subcontractor.objects.filter(
            company_id=company_id, active=True
        ).select_related("partner")
        self.style_fields()

    def clean(self):
        data = super().clean()
        if data.get("manual_price") is not None and data.get("manual_discount") is not None:
            raise forms.ValidationError(_("Type a unit price or a discount, not both."))
        discount = data.get("manual_discount")
        if discount is not None and not (0 <= discount <= 100):
            self.add_error("manual_discount", _("A discount is between 0 and 100 %."))
        quantity = data.get("quantity")
        if quantity is not None and quantity <= 0:
            self.add_error("quantity", _("The quantity must be more than zero."))
        return data


class MoveForm(BootstrapMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    stage = forms.ModelChoiceField(Stage.objects.none(), label=_("stage"), empty_label=None)
    lost_reason = forms.ChoiceField(
        label=_("reason lost"),
        required=False,
        choices=[("", "—"), *LostReason.choices],
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(pk__in=[s.pk for s in stages])
        self.style_fields()


class CallbackForm(BootstrapMixin, forms.Form):
    on = forms.DateTimeField(
        label=_("call back on"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class OpportunityFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Name or partner"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open")), ("won", _("Won")), ("lost", _("Lost")), ("all", _("All"))],
    )
    stage = forms.ModelChoiceField(Stage.objects.none(), label=_("Stage"), required=False)
    mine = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        choices=[("", _("Me and my team")), ("1", _("Mine"))],
    )
    close_from = forms.DateField(label=_("Closing from"), required=False, widget=DateInput())
    close_to = forms.DateField(label=_("Closing until"), required=False, widget=DateInput())

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(pk__in=[s.pk for s in stages])
        self.style_fields()
