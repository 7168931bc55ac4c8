"""Catalogue screens: products (list, detail, new, edit, import) and price lists (list,
detail). The catalogue is shared by the own companies: access is the function (``view_…``)
and, for price lists, the user's current company."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from crm import keyset
from crm.edits import save_edit
from crm.scoping import current_company_id
from crm.versioning import save_versioned

from . import imports
from .catalogue_forms import ImportForm, ProductFilterForm, ProductForm
from .models import DiscountRule, PriceList, Product, SalesSettings
from .views import _company

PAGE_SIZE = 50


def _need(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


@login_required
def product_list(request):
    _need(request.user, "sales.view_product")
    form = ProductFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    products = Product.objects.all()
    if filters.get("show") != "all":
        products = products.filter(active=True)
    if filters.get("category"):
        products = products.filter(category=filters["category"])
    if text := (filters.get("q") or "").strip():
        products = products.filter(
            Q(code__icontains=text) | Q(name_hu__icontains=text) | Q(name_en__icontains=text)
        )
    rows, cursor = keyset.page(
        products,
        order=["code", "id"],
        after=request.GET.get("after", ""),
        size=PAGE_SIZE,
        rows=Product.objects.select_related("category"),
    )
    next_url = ""
    if cursor:
        query = request.GET.copy()
        query["after"] = cursor
        next_url = f"?{query.urlencode()}"
    return render(
        request,
        "sales/product_list.html",
        {
            "rows": rows,
            "form": form,
            "next_url": next_url,
            "may_add": request.user.has_perm("sales.add_product"),
            "may_import": request.user.has_perm("sales.import_product"),
        },
    )


@login_required
def product_detail(request, pk: int):
    _need(request.user, "sales.view_product")
    product = get_object_or_404(Product.objects.select_related("category"), pk=pk)
    company_id = current_company_id(request.user)
    prices = []
    if request.user.has_perm("sales.view_pricelist") and company_id is not None:
        prices = list(
            product_prices(product, company_id).select_related(
                "price_list__partner", "price_list__tag"
            )
        )
    return render(
        request,
        "sales/product_detail.html",
        {
            "product": product,
            "prices": prices,
            "may_edit": request.user.has_perm("sales.change_product"),
        },
    )


def product_prices(product, company_id):
    from .models import PriceListItem

    return PriceListItem.objects.filter(
        product=product, price_list__company_id=company_id
    ).order_by("price_list__name")


@login_required
def product_create(request):
    _need(request.user, "sales.add_product")
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        product = form.save(commit=False)
        product.created_by = request.user
        product.save()
        messages.success(request, _("Product %(code)s saved.") % {"code": product.code})
        return redirect("sales:product", product.pk)
    return render(request, "sales/product_form.html", {"form": form})


@login_required
def product_edit(request, pk: int):
    _need(request.user, "sales.change_product")
    product = get_object_or_404(Product, pk=pk)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        fields = list(ProductForm._meta.fields)
        base = form.cleaned_data.get("base_version") or product.version
        saved, _conflict = save_edit(
            request,
            form,
            lambda: save_versioned(form.instance, expected_version=base, fields=fields),
            gone_url="sales:products",
        )
        if saved is True:
            return redirect("sales:product", product.pk)
        if saved is not False:
            return saved
    return render(request, "sales/product_form.html", {"form": form, "product": product})


@login_required
def product_import(request):
    _need(request.user, "sales.import_product")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = imports.import_products(form.cleaned_data["file"], user=request.user)
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            if not result.errors:
                messages.success(
                    request,
                    _("Imported: %(created)s new and %(updated)s changed products.")
                    % {"created": result.created, "updated": result.updated},
                )
                return redirect("sales:products")
    return render(request, "sales/product_import.html", {"form": form, "result": result})


@login_required
def pricelist_list(request):
    _need(request.user, "sales.view_pricelist")
    company_id = _company(request.user)
    lists = PriceList.objects.filter(company_id=company_id).select_related("partner", "tag")
    return render(request, "sales/pricelist_list.html", {"rows": list(lists)})


@login_required
def pricelist_detail(request, pk: int):
    _need(request.user, "sales.view_pricelist")
    company_id = _company(request.user)
    price_list = (
        PriceList.objects.filter(company_id=company_id, pk=pk)
        .select_related("partner", "tag")
        .first()
    )
    if price_list is None:
        raise Http404
    items = price_list.items.select_related("product")
    return render(
        request, "sales/pricelist_detail.html", {"price_list": price_list, "items": list(items)}
    )


@login_required
def discount_list(request):
    """The company's discount rules and its pricing setting, for everybody who prices lines."""
    _need(request.user, "sales.view_discountrule")
    company_id = _company(request.user)
    rules = DiscountRule.objects.filter(company_id=company_id).select_related(
        "product", "category", "partner", "tag", "with_product"
    )
    return render(
        request,
        "sales/discount_list.html",
        {"rows": list(rules), "settings": SalesSettings.of(company_id)},
    )
