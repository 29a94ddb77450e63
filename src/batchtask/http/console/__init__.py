"""The console (SPEC §10.2): server-rendered pages at ``/admin/`` kept live by a small script.

``pages.py`` answers the page routes, ``view.py`` renders the Jinja2 templates for one viewer
(language, time zone, formats), ``assets.py`` serves the vendored static files, ``texts.py``
checks the console's translations. Every action a page offers is an admin API call made by
``static/console.js``; pages themselves only read.
"""
