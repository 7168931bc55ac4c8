from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crm.demo import register as register_demo
        from crm.groups import register_grants
        from crm.menu import MenuItem, menu

        from . import demo, demo_library, linkables, search, search_demo, texts
        from .groups import DOCUMENT_GRANTS

        register_grants(DOCUMENT_GRANTS)
        from .generator_groups import GENERATOR_GRANTS

        register_grants(GENERATOR_GRANTS)
        register_demo(demo.load_documents)
        register_demo(demo_library.load_library)
        from . import generator_demo

        register_demo(generator_demo.load_templates)  # after the folders of load_documents
        register_demo(search_demo.load_search_documents)
        linkables.register_defaults()
        texts.connect()
        search.register()
        menu.register(
            MenuItem(
                key="documents",
                label=_("Documents"),
                url_name="documents:list",
                icon="folder2-open",
                order=40,
                permission="documents.view_document",
            )
        )
        # The record pages' "Documents" tab and sections (crm.sections: pages' hooks for apps).
        from crm.sections import PageSection, activity_sections, contact_sections, partner_tabs

        from .views import record_documents_context

        section = {
            "key": "documents",
            "label": _("Documents"),
            "template": "documents/partials/record_documents.html",
            "context": record_documents_context,
            "permission": "documents.view_document",
        }
        partner_tabs.register(PageSection(order=50, **section))
        contact_sections.register(PageSection(order=50, **section))
        activity_sections.register(PageSection(order=50, **section))
        from .collateral_views import collateral_context

        partner_tabs.register(
            PageSection(
                key="collateral",
                label=_("Sales collateral"),
                template="documents/partials/collateral_tab.html",
                context=collateral_context,
                order=55,
                permission="documents.view_document",
            )
        )
