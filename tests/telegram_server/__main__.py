"""`python -m tests.telegram_server`: the loopback Telegram server on its own, with one bot
and one phone user, and an HTTP control to act as that user (see README.md).

Prints `key: value` lines (port, public_key_file, dc_id, bot_token, bot_username, user_id,
user_phone, control), then `ready`; runs until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from tests.telegram_server.control import Control
from tests.telegram_server.limits import RateLimits
from tests.telegram_server.server import DC_ID, TelegramServer

BOT_NAME = "tgbridge"
BOT_USERNAME = "tgbridge_bot"
USER_NAME = "Phone User"
USER_PHONE = "+10000000001"
USER_USERNAME = "phone_user"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.telegram_server",
        description="A loopback Telegram server (MTProto on 127.0.0.1) for tests and demos.",
    )
    parser.add_argument("--port", type=int, default=0, help="MTProto port (default: any free)")
    parser.add_argument(
        "--control-port", type=int, default=0, help="HTTP control port (default: any free)"
    )
    parser.add_argument(
        "--rate-per-chat",
        type=float,
        default=None,
        metavar="R",
        help="messages per second allowed per chat (Telegram: about 1)",
    )
    parser.add_argument(
        "--no-limits", action="store_true", help="never answer FLOOD_WAIT for the send rate"
    )
    parser.add_argument(
        "--password", default=None, help="the phone user's two-step verification password"
    )
    parser.add_argument("--verbose", action="store_true", help="log connections and requests")
    args = parser.parse_args(argv)
    if args.rate_per_chat is not None and args.rate_per_chat <= 0:
        parser.error("--rate-per-chat must be positive")
    return args


def limits_from(args: argparse.Namespace) -> RateLimits:
    limits = RateLimits(enabled=not args.no_limits)
    if args.rate_per_chat is not None:
        limits.per_chat_rate = args.rate_per_chat
    return limits


async def run(args: argparse.Namespace) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)

    server = TelegramServer(limits=limits_from(args))
    bot = server.world.add_bot(BOT_NAME, username=BOT_USERNAME)
    user = server.world.add_user(
        USER_NAME, phone=USER_PHONE, username=USER_USERNAME, password=args.password
    )
    control = Control(server, user, bot)
    try:
        await server.start(args.port)
        await control.start(args.control_port)
        lines = [
            f"port: {server.port}",
            f"public_key_file: {server.public_key_file}",
            f"dc_id: {DC_ID}",
            f"bot_token: {bot.bot_token}",
            f"bot_username: {bot.username}",
            f"user_id: {user.id}",
            f"user_phone: {user.phone}",
            f"control: {control.url}",
            "ready",
        ]
        print("\n".join(lines), flush=True)
        await stopping.wait()
    finally:
        await control.stop()
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(run(args))
    except OSError as error:  # e.g. the port is taken
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
