"""Forms of the quote screens: the list's filters, a quote's header (new or edited), a line
(numbers typed the Hungarian way), the mail that sends it, and the partner's decision."""

import secrets

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin

from .forms import DateInput, ProductChoiceField
from .models import LostReason, Product, Quote, QuoteLine, QuoteStatus
from .numbers import LocalDecimalField

ALIVE = ""  # every status but superseded: the versions that count


class QuoteFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Number, title or partner"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (ALIVE, _("Current versions")),
            *[(s.value, s.label) for s in QuoteStatus],
            ("all", _("All, older versions too")),
        ],
    )
    owner = forms.ModelChoiceField(
        get_user_model().objects.none(),
        label=_("Owner"),
        required=False,
        empty_label=_("Me and my team"),
    )
    partner = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, memberships__company_id=company_id)
            .order_by("last_name", "first_name", "username")
        )
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.style_fields()


class QuoteForm(BootstrapMixin, forms.ModelForm):
    """A quote's header: new (from scratch, for a partner) or a draft's edit."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Quote
        fields = ["title", "contact", "currency", "valid_until", "notes"]
        widgets = {
            "valid_until": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"notes": _("Printed on the quote under the lines.")}
        labels = {"title": _("subject of the quote")}

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = partner.contacts.filter(erased_at__isnull=True)
        self.fields["valid_until"].required = False
        if self.instance.pk:
            # the currency is the lines' own
            del self.fields["currency"]
            if not self.is_bound:
                self.fields["base_version"].initial = self.instance.version
        self.style_fields()


class QuoteLineForm(BootstrapMixin, forms.Form):
    product = ProductChoiceField(Product.objects.none(), label=_("product"))
    quantity = LocalDecimalField(label=_("quantity"), decimal_places=3)
    name = forms.CharField(
        label=_("name on the quote"),
        max_length=300,
        required=False,
        help_text=_("Empty: the product's name."),
    )
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

    def __init__(self, *args, line: QuoteLine | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(active=True)
        if line is not None and line.product_id:
            products = Product.objects.filter(pk=line.product_id) | products
        self.fields["product"].queryset = products.order_by("code")
        self.style_fields()

    def clean(self):
        data = super().clean()
        if data.get("manual_price") is not None and data.get("manual_discount") is not None:
            raise forms.ValidationError(_("Type a unit price or a discount, not both."))
        discount = data.get("manual_discount")
        if discount is not None and not (0 <= discount <= 100):
            self.add_error("manual_discount", _("A discount is between 0 and 100 %."))
        price = data.get("manual_price")
        if price is not None and price < 0:
            self.add_error("manual_price", _("A price cannot be negative."))
        quantity = data.get("quantity")
        if quantity is not None and quantity <= 0:
            self.add_error("quantity", _("The quantity must be more than zero."))
        return data


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class QuoteSendForm(BootstrapMixin, forms.Form):
    recipient = forms.EmailField(label=_("Recipient"), max_length=254)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), max_length=10_000, widget=forms.Textarea({"rows": 8}))
    template = TemplateChoiceField(
        queryset=None,
        label=_("PDF template"),
        empty_label=None,
        help_text=_("The quote's PDF is drawn with it, stored with the quote and attached."),
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        from documents.generator_models import DocumentTemplate

        # the offer templates first (the order ``quotes.pdf_templates`` gives)
        self.template_order = [t.pk for t in templates]
        self.fields["template"].queryset = DocumentTemplate.objects.filter(
            pk__in=self.template_order
        )
        self.fields["template"].choices = [(t.pk, t.name) for t in templates]
        if not self.is_bound:
            self.fields["token"].initial = secrets.token_hex(12)
            if templates:
                self.fields["template"].initial = templates[0].pk
        self.style_fields()


class QuoteDecisionForm(BootstrapMixin, forms.Form):
    """Accepted or rejected by the partner; a rejection says why."""

    status = forms.ChoiceField(
        choices=[
            (QuoteStatus.SENT, QuoteStatus.SENT.label),
            (QuoteStatus.ACCEPTED, QuoteStatus.ACCEPTED.label),
            (QuoteStatus.REJECTED, QuoteStatus.REJECTED.label),
        ],
        widget=forms.HiddenInput,
    )
    reason = forms.ChoiceField(
        label=_("reason rejected"), required=False, choices=[("", "—"), *LostReason.choices]
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean(self):
        data = super().clean()
        if data.get("status") == QuoteStatus.REJECTED and not data.get("reason"):
            self.add_error("reason", _("Choose why the partner rejected the quote."))
        return data
