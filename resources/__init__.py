"""Files shipped with clusterviz (data sets, lessons), read with `importlib.resources`.

In the repository this is the top-level ``resources/`` folder; the packaging
maps it to the package ``clusterviz.resources``, so an installed wheel and an
editable install find the same files.
"""
