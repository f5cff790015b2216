"""The queue for separate worker processes: ``bricolage-jobs worker background_jobs.queue:queue``.

The backend comes from ``BACKGROUND_JOBS_URL`` (default: ``sqlite:///background-jobs.db``).
"""

from __future__ import annotations

import os

from background_jobs.jobs import registry
from bricolage.jobs import Queue

queue = Queue(os.environ.get("BACKGROUND_JOBS_URL", "sqlite:///background-jobs.db"), registry)
