"""Checks on the built .vsix contents, run by scripts/test after scripts/package."""
