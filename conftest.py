"""Settings every test suite in the tree shares, loaded by pytest from the repository root.

CI machines are small and shared: property tests get no per-example deadline and no
"too slow" health check there, so a busy machine cannot fail a correct test. The number
of examples stays the same. Suites without hypothesis installed are unaffected.
"""

from __future__ import annotations

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - an environment without hypothesis
    pass
else:
    settings.register_profile(
        "bricolage", deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("bricolage")
