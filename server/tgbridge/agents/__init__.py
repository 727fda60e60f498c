"""Coding agents reach the human: their asks, the owner's rules, and the hooks' formats."""
