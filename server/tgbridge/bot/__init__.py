"""The phone side: a command router over the bot's (or account's) chat (DESIGN.md)."""
