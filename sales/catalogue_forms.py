"""Forms of the catalogue pages: a product, the product list's filters, the import upload."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin

from .models import Product, ProductCategory
from .numbers import LocalDecimalField


class ProductForm(BootstrapMixin, forms.ModelForm):
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    price_huf = LocalDecimalField(label=_("list price (HUF)"), min_value=0, decimal_places=2)
    price_eur = LocalDecimalField(
        label=_("list price (EUR)"), min_value=0, decimal_places=2, required=False
    )

    class Meta:
        model = Product
        fields = [
            "code",
            "name_hu",
            "name_en",
            "kind",
            "unit",
            "vat_rate",
            "category",
            "price_huf",
            "price_eur",
            "description",
            "active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["base_version"].initial = self.instance.version
        self.style_fields()


class ProductFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Code or name"), required=False)
    category = forms.ModelChoiceField(
        ProductCategory.objects.all(), label=_("Category"), required=False
    )
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("Active only")), ("all", _("Active and inactive"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "The first row names the columns: Kód, Név, Angol név, Típus, Egység, ÁFA, "
            "Kategória, Ár, Ár EUR, Aktív, Leírás (or their English names). A known code "
            "updates its product; an empty cell leaves the stored value."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()
