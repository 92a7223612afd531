"""The Gradio page: :mod:`~explorer.page.app` puts it together from the header (:mod:`~explorer.page.header`), the
lesson bar (:mod:`~explorer.page.lesson_bar`) and one module per tab (:mod:`explorer.page.tabs`), and one table of
what changes what (:mod:`~explorer.page.changes`). Shared by them: :mod:`~explorer.page.context` (the page's models
and settings, how a handler says no), :mod:`~explorer.page.components` (the page's own components, drawn by
``static/*.js``), :mod:`~explorer.page.assets` (files the page fetches), :mod:`~explorer.page.adapter` (the one
place that relies on what Gradio does not publish). :mod:`~explorer.page.guard` is the server's front door;
:mod:`~explorer.page.files` keeps the app's cache folders small.

May import: :mod:`explorer.core`, :mod:`explorer.views`, :mod:`training`, gradio. Nothing imports it but ``app.py``.
"""
