"""The global search box's providers: each app adds what it finds from ``AppConfig.ready()``,
so the box (answered by the partners app, ``partners.views.search``) lists documents, and later
other records, without importing the apps below it (DESIGN.md, section 2)::

    from crm.search import SearchProvider, providers

    providers.register(SearchProvider(
        key="documents", label=_("Documents"), find=find_documents, order=30,
        permission="documents.view_document", more_url="documents:search"))

``find(user, text, limit)`` returns at most ``limit`` ``SearchHit``s in one query, starting
from the app's ``visible_to(user)``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from crm.registry import Registry


@dataclass(frozen=True)
class SearchHit:
    url: str
    title: str
    detail: str = ""  # plain text after the title (escaped by the template)
    icon: str = "search"  # a Bootstrap icon name


@dataclass(frozen=True)
class SearchProvider:
    key: str
    label: str
    find: Callable
    order: int = 100
    permission: str | None = None
    more_url: str = ""  # a URL name whose page takes ``?q=``: "all matches"

    def allowed(self, user) -> bool:
        return not self.permission or user.has_perm(self.permission)


@dataclass(frozen=True)
class SearchSection:
    provider: SearchProvider
    hits: list


class ProviderRegistry(Registry[SearchProvider]):
    kind = "Search provider"

    def sections(self, user, text: str, limit: int) -> list[SearchSection]:
        """The hits of every provider ``user`` may use, in order (empty ones left out)."""
        found = []
        for provider in self.ordered():
            if provider.allowed(user):
                hits = list(provider.find(user, text, limit))
                if hits:
                    found.append(SearchSection(provider=provider, hits=hits))
        return found


providers = ProviderRegistry()
