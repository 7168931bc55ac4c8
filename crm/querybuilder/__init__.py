"""The query builder: managers ask their own questions of the apps' registered models, on
screen, in print, in Excel and as a campaign's audience (issue 23). The apps register what can
be asked (``registry``); ``engine.build`` turns a query spec into a scoped queryset."""
