"""clusterviz: a desktop explorer that teaches clustering.

Layers: ``model`` (the algorithms, numpy and scipy only), ``data`` (data sets,
CSV and session files), ``session`` (the Qt-free application state) and ``ui``
(the Qt widgets). See ``INTERFACES.md``.
"""
