"""The pack's second verb, collect: task ids -> video files (wait, download, record the end).

`video` collects one task; `batch` collects many at once and words their failures. Nodes and
the CLI reach it through the facade. May import `ledger`, `schemas`, `service`, `errors` and
`config`; never `create`, `nodes`, `cli` or the facade.
"""

from .batch import Collected, collect_videos, failure_line, failures_error
from .video import (
    URL_REFRESH_DELAYS_S,
    VideoResult,
    collect_video,
    format_elapsed,
    status_text,
    video_filename,
)

__all__ = [
    "URL_REFRESH_DELAYS_S",
    "Collected",
    "VideoResult",
    "collect_video",
    "collect_videos",
    "failure_line",
    "failures_error",
    "format_elapsed",
    "status_text",
    "video_filename",
]
