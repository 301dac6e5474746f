"""The real app (`clusterviz.app.main`) in a child process, driven like a new
user would (the recovery flow; used by tests/ui/test_recovery.py):

    python tests/stress/recovery_child.py paint N   # add N points by clicking, print "AUTOSAVED <n>", wait
    python tests/stress/recovery_child.py restore   # answer the restore question Yes, print "RESTORED <n>",
                                                    # quit normally (Discard on the quit question)
    python tests/stress/recovery_child.py error     # a bug in a slot: print "DIALOG <message>", copy the
                                                    # details, close the dialog, step, print "ALIVE <n> <cursor>"

The recovery folder comes from $CLUSTERVIZ_RECOVERY_DIR; Qt runs offscreen.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from clusterviz.app import main as app_main

    mode = sys.argv[1]
    app = QApplication(["clusterviz"])
    state = {"done": False}

    def window():
        return next((w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"), None)

    def say(text: str) -> None:
        print(text, flush=True)

    def paint() -> None:
        w = window()
        if w is None or state["done"]:
            return
        state["done"] = True
        n = int(sys.argv[2])
        tools = w.tools
        tools.set_tool("add")
        (x0, x1), (y0, y1) = w.canvas.view_box.viewRange()
        for i in range(n):  # clicks on empty space along the top of the view
            x, y = x0 + (x1 - x0) * (i + 1) / (n + 1), y1 - 0.02 * (y1 - y0)
            tools.press(x, y)
            tools.release(x, y)
        w.recovery.timer.timeout.connect(lambda: say(f"AUTOSAVED {w.session.n_points}"))
        say(f"PAINTED {w.session.n_points}")

    def restore() -> None:
        box = app.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == "recoveryQuestion":
            say("ASKED " + box.text().replace("\n", " "))
            box.button(QMessageBox.StandardButton.Yes).click()
            return
        if isinstance(box, QMessageBox) and box.objectName() == "quitQuestion":
            say("QUIT-ASKED")
            box.button(QMessageBox.StandardButton.Discard).click()
            return
        w = window()
        if w is None or state["done"] or w.recovery.found is not None or not w.isVisible():
            return
        state["done"] = True
        say(f"RESTORED {w.session.n_points}")
        QTimer.singleShot(0, w.close)

    def error() -> None:
        w = window()
        if w is None or state["done"] or not w.isVisible():
            return
        if not state.get("raised"):
            state["raised"] = True
            raise RuntimeError("a bug in a slot")
        dialog = next((d for d in app.topLevelWidgets() if d.objectName() == "errorDialog" and d.isVisible()), None)
        if dialog is not None:
            say("DIALOG " + dialog.message.text())
            dialog.copy_button.click()
            say("COPIED " + app.clipboard().text().splitlines()[0])
            dialog.close()
            return
        state["done"] = True
        w.controller.step()
        say(f"ALIVE {w.session.n_points} {w.session.cursor}")
        QTimer.singleShot(0, w.close)

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect({"paint": paint, "restore": restore, "error": error}[mode])
    timer.start()
    return app_main(["--dataset", "three_blobs"])


if __name__ == "__main__":
    sys.exit(main())
