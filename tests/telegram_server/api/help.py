"""help.getConfig: the data centre list is this server, so Telethon never looks elsewhere."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telethon.tl import functions, types

from tests.telegram_server.rpc import handles
from tests.telegram_server.world import now


@handles(functions.help.GetConfigRequest, needs_login=False)
async def get_config(call: Any) -> types.Config:
    server = call.server
    from tests.telegram_server.server import DC_ID

    date = now()
    return types.Config(
        date=date,
        expires=date + timedelta(hours=1),
        test_mode=False,
        this_dc=DC_ID,
        dc_options=[types.DcOption(id=DC_ID, ip_address=server.host, port=server.port)],
        dc_txt_domain_name="loopback.invalid",
        chat_size_max=200,
        megagroup_size_max=200000,
        forwarded_count_max=100,
        online_update_period_ms=210000,
        offline_blur_timeout_ms=5000,
        offline_idle_timeout_ms=30000,
        online_cloud_timeout_ms=300000,
        notify_cloud_delay_ms=30000,
        notify_default_delay_ms=1500,
        push_chat_period_ms=60000,
        push_chat_limit=2,
        edit_time_limit=172800,
        revoke_time_limit=2147483647,
        revoke_pm_time_limit=2147483647,
        rating_e_decay=2419200,
        stickers_recent_limit=200,
        channels_read_media_period=604800,
        call_receive_timeout_ms=20000,
        call_ring_timeout_ms=90000,
        call_connect_timeout_ms=30000,
        call_packet_timeout_ms=10000,
        me_url_prefix="https://t.me/",
        caption_length_max=1024,
        message_length_max=4096,
        webfile_dc_id=DC_ID,
    )


@handles(functions.help.GetNearestDcRequest, needs_login=False)
async def get_nearest_dc(call: Any) -> types.NearestDc:
    from tests.telegram_server.server import DC_ID

    return types.NearestDc(country="ZZ", this_dc=DC_ID, nearest_dc=DC_ID)
