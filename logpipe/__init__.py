"""Logging shared by every process: JSON lines to ``logs/<process>.txt`` and the central log, configured by
``logging/logging.toml``.

The public surface is small on purpose so that every process wires logging the same way:

    from logpipe import setup_logging, get_logger, log_event, request_id_var
    setup_logging("service_1")
    log_event(get_logger(__name__), "message.received", "message received", user_len=5)
"""

from logpipe.context import bind_request_id, request_id_var
from logpipe.setup import LogPipeline, get_logger, log_event, setup_logging

__all__ = [
    "LogPipeline",
    "bind_request_id",
    "get_logger",
    "log_event",
    "request_id_var",
    "setup_logging",
]
