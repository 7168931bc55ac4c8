from . import builder_urls, export_urls, saved_urls

app_name = "querybuilder"
urlpatterns = [*builder_urls.urlpatterns, *saved_urls.urlpatterns, *export_urls.urlpatterns]
