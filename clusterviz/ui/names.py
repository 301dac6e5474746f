"""Names and messages that quote a file, made safe to show and to store.

On Linux a file name is bytes; ``os.fsdecode`` turns a byte that is not
UTF-8 (``b"caf\\xe9.csv"``) into a lone surrogate (``"caf\\udce9"``), which
Qt cuts the text at and no UTF-8 file can hold. `printable` writes such a
byte as the four characters ``\\xe9`` instead: the name then reads the same
in the window, in a session file and in the recovery file, and reads back
unchanged.
"""
from __future__ import annotations

import dataclasses

__all__ = ["printable", "printable_dataset", "escaped"]


def printable(text: str) -> str:
    """``text`` with every lone surrogate written as an escape.

    A surrogate-escaped byte (U+DC80-U+DCFF, from ``os.fsdecode``) becomes
    ``\\xNN``; any other lone surrogate ``\\uNNNN``. Text that is valid
    Unicode is returned unchanged.
    """
    text = str(text)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def printable_dataset(dataset):
    """``dataset`` itself, or a copy whose name and texts are `printable`."""
    name = printable(dataset.name)
    columns = tuple(printable(c) for c in dataset.columns)
    classes = None if dataset.class_names is None else tuple(printable(c) for c in dataset.class_names)
    if name == dataset.name and columns == tuple(dataset.columns) and classes == dataset.class_names:
        return dataset
    return dataclasses.replace(dataset, name=name, columns=columns, class_names=classes)


def escaped(text: str) -> str:
    """``text`` (from a file) for a widget that shows rich text: printable, markup escaped."""
    return escape_markup(printable(text), quote=False)


def escape_markup(text: str, quote: bool = True) -> str:
    """``html.escape``: &, < and > (and with ``quote`` " and ') as character
    references; here so that start-up needs no ``html`` module and its entity table."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;").replace("'", "&#x27;") if quote else text
