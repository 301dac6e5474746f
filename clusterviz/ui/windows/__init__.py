"""Windows and dialogs of their own: compare view, CSV dialog, error dialog."""
