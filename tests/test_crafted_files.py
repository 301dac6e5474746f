"""Crafted files opened from the command line (tests/stress/crafted_files.py,
its representative subset): each loads and renders, or exits non-zero within
30 s with one stderr line naming the file -- no signal, hang or traceback."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parent / "stress" / "crafted_files.py"


def _crafted():
    spec = importlib.util.spec_from_file_location("crafted_files", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs FIFOs and /dev/zero")
def test_crafted_files_load_or_are_refused_in_one_line():
    crafted = _crafted()
    assert len(crafted.SUBSET) >= 8
    outcomes = crafted.run_cases(crafted.SUBSET)
    assert [o.case.name for o in outcomes] == list(crafted.SUBSET)
    failed = [o for o in outcomes if o.problems]
    assert not failed, "\n" + crafted.table(outcomes)
    refused = {o.case.name: o.line for o in outcomes if o.case.expect == crafted.REFUSED}
    assert "fits at most 12 clusters" in refused["session-k-1e6"]
    assert "not a regular file" in refused["fifo-csv"] and "not a regular file" in refused["symlink-to-dev-zero-session"]
    assert "array block" in refused["session-array-block-wrong-length"]
