"""Settings for benchmark servers: the real project plus one minimal JSON view as the baseline."""

from onegrid.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
