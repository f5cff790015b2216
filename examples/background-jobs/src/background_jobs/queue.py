"""The queue for separate worker processes: ``bricolage-jobs worker background_jobs.queue:queue``.

The backend comes from ``BACKGROUND_JOBS_URL`` (default: a SQLite file in the data folder,
see :func:`background_jobs.app.default_url`).
"""

from __future__ import annotations

import os

from background_jobs.app import default_url
from background_jobs.jobs import registry
from bricolage.jobs import Queue

queue = Queue(os.environ.get("BACKGROUND_JOBS_URL") or default_url(), registry)
