"""Looks for a network to send its work out on (or to fetch an answer): lists the network
interfaces it can see. Sends nothing anywhere.

Needs: sandbox
Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: interfaces seen: ['lo']
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    import socket

    raise RuntimeError(f"interfaces seen: {sorted(name for _, name in socket.if_nameindex())}")
