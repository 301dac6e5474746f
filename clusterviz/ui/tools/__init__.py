"""The canvas editing tools (one class per tool) and their undo commands."""
