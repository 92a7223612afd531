"""Fair sharing of one server among a classroom: who a client is, and what one client may hold. No Gradio here.

A *client* is an address, not a session: a page load is a new Gradio session, and one browser (or script)
can open as many as it likes, so limits per session multiply. Every limit here is per address, and
:attr:`SharingLimits.clients_per_address` says how many people one address stands for (a classroom behind
one router or proxy shows the server one address: set it to the class's size and each per-client limit is
multiplied by it for that address).

- Training (the Compare tab's sweeps): at most ``jobs_per_client`` waiting or running per client, at most
  ``jobs_waiting`` waiting in all (one runs per device at a time), and the sweeps made from the page kept
  within ``sweep_disk_mb`` (the oldest removed first; the committed and command-line sweeps never).
- Uploads (Gradio's upload route): ``uploads_per_request`` files a request, ``uploads_per_minute`` a client.
- A teacher cancels anyone's job: from the machine the app runs on, or with ``admin_token`` (set when the
  app starts) typed into the Compare tab.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

LOCAL = "local"


@dataclass(frozen=True)
class SharingLimits:
    """What one client may hold (see the module docstring); every field is checked."""

    clients_per_address: int = 1
    jobs_per_client: int = 1
    jobs_waiting: int = 3
    uploads_per_request: int = 1
    uploads_per_minute: int = 20
    sweep_disk_mb: int = 500
    admin_token: str | None = None

    def __post_init__(self):
        for name, low, high in (
            ("clients_per_address", 1, 1000),
            ("jobs_per_client", 1, 100),
            ("jobs_waiting", 0, 1000),
            ("uploads_per_request", 1, 100),
            ("uploads_per_minute", 1, 10_000),
            ("sweep_disk_mb", 10, 10**7),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
        if self.admin_token is not None and (not isinstance(self.admin_token, str) or len(self.admin_token) < 8):
            raise ValueError("the admin token must have at least 8 characters")

    def per_address(self, per_client: int) -> int:
        """A per-client limit as it applies to one address."""
        return per_client * self.clients_per_address

    def is_admin(self, client: str, token) -> bool:
        """Whether ``client`` may cancel anyone's job: the local machine, or the admin token."""
        if client == LOCAL:
            return True
        return bool(self.admin_token) and isinstance(token, str) and hmac.compare_digest(token, self.admin_token)


def client_of(host: str | None) -> str:
    """The client an address is: ``LOCAL`` for this machine (loopback), else the address itself; a request
    with no address (an in-process call) is local."""
    if not host:
        return LOCAL
    try:
        return LOCAL if ipaddress.ip_address(host.split("%")[0]).is_loopback else host
    except ValueError:  # a test client's or proxy's name
        return host


class RateWindow:
    """At most ``limit`` events per client in any ``seconds`` window (a sliding window, thread-safe)."""

    def __init__(self, limit: int, seconds: float = 60.0, clock=time.monotonic):
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, client: str, count: int = 1) -> bool:
        """Record ``count`` events for ``client`` if they fit its window; False (nothing recorded) if not."""
        now = self.clock()
        with self._lock:
            events = self._events[client]
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) + count > self.limit:
                return False
            events.extend([now] * count)
            if len(self._events) > 10_000:  # forget clients idle for a whole window
                for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.seconds]:
                    del self._events[key]
            return True

    def wait(self, client: str) -> float:
        """Seconds until ``client`` may send one more event (0 if now)."""
        now = self.clock()
        with self._lock:
            events = self._events.get(client)
            if not events or len(events) < self.limit:
                return 0.0
            return max(0.0, events[len(events) - self.limit] + self.seconds - now)
