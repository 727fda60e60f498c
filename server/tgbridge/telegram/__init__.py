"""Telegram: rendering, the outbox and the Telethon gateway."""
