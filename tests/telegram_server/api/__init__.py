"""The Telegram API the loopback server answers, one module per area; importing the
package registers every handler in `tests.telegram_server.rpc.ROUTES`."""

from tests.telegram_server.api import auth, bots, files, help, messages, updates, users

__all__ = ["auth", "bots", "files", "help", "messages", "updates", "users"]
