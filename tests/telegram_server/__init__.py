"""A loopback Telegram server for tests: real MTProto on 127.0.0.1 (see README.md)."""

from tests.telegram_server.faults import Faults, Stall
from tests.telegram_server.limits import RateLimits
from tests.telegram_server.phone import Phone
from tests.telegram_server.rpc import RpcError
from tests.telegram_server.server import DC_ID, TelegramServer
from tests.telegram_server.world import Account, Group

__all__ = [
    "DC_ID",
    "Account",
    "Faults",
    "Group",
    "Phone",
    "RateLimits",
    "RpcError",
    "Stall",
    "TelegramServer",
]
