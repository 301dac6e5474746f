"""QSettings: recent files, last folder, window geometry, the version key."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSettings

from clusterviz.ui.settings import SETTINGS_VERSION, AppSettings


def _store(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_recent_files_newest_first_without_duplicates_or_missing_files(tmp_path, qapp):
    settings = AppSettings(_store(tmp_path))
    files = []
    for name in ("a.csv", "b.csv", "c.clusterviz"):
        (tmp_path / name).write_text("x,y\n1,2\n3,4\n")
        files.append(str((tmp_path / name).resolve()))
    for path in files + [files[0]]:
        settings.remember_file(path)
    assert settings.recent_files() == [files[0], files[2], files[1]]
    (tmp_path / "b.csv").unlink()
    assert settings.recent_files() == [files[0], files[2]]
    assert settings.last_folder() == str(tmp_path.resolve())


def test_a_store_from_another_version_is_cleared(tmp_path, qapp):
    store = _store(tmp_path)
    store.setValue("version", "999")
    store.setValue("recent_files", [str(tmp_path)])
    settings = AppSettings(store)
    assert settings.recent_files() == [] and store.value("version") == str(SETTINGS_VERSION)


def test_opening_a_csv_lists_it_under_open_recent_and_reopens_it(make_window, tmp_path):
    path = tmp_path / "four.csv"
    np.savetxt(path, np.arange(16.0).reshape(8, 2), delimiter=",", header="p,q", comments="")
    window = make_window()
    window.app_settings = AppSettings(_store(tmp_path))
    assert window.open_csv(str(path), ask_columns=False)
    window.recent_menu.aboutToShow.emit()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert texts[0] == "&1 four.csv"
    window.controller.load_builtin("three_blobs")
    assert window.open_recent(window.app_settings.recent_files()[0])
    assert window.findChild(object, "csvDialog") is not None  # the column dialog, as from File ▸ Open CSV


def test_geometry_round_trip(make_window, tmp_path):
    window = make_window()
    settings = AppSettings(_store(tmp_path))
    window.resize(760, 600)
    settings.save_geometry(window)
    other = make_window()
    assert settings.restore_geometry(other)
    assert (other.width(), other.height()) == (760, 600)
