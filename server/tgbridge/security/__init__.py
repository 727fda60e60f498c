"""Deny by default: who may use the bot, what files it may read."""
