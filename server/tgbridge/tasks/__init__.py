"""Declared tasks: the owner sets argv, cwd and timeout; the phone picks one by name."""
