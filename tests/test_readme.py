"""README promises two commands; CI must run the test one exactly."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text):
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_readme_gives_exactly_two_fresh_machine_commands():
    blocks = _bash_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) == 2
    assert "main.py" in blocks[0] and "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command():
    test_command = _bash_blocks((ROOT / "README.md").read_text(encoding="utf-8"))[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_readme_screenshot_exists():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (ROOT / image).is_file(), f"README shows {image}, which is missing"


def test_readme_lists_every_shortcut_and_option():
    from clusterviz.app import build_parser
    from clusterviz.ui.main_window import SHORTCUTS

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for key, _ in SHORTCUTS:
        for part in key.split(" / "):
            assert part in text, f"the README does not mention the shortcut {part!r}"
    for action in build_parser()._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in text, f"the README does not mention {option}"
