"""Whether a provider's host is this machine (for `tgbridge.llm.localOnly`)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_local(base_url: str | None) -> bool:
    """A loopback address or `localhost`; None (an SDK's cloud default) is not local."""
    if not base_url:
        return False
    url = base_url if "://" in base_url else "http://" + base_url
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
