"""TaskFlow's settings with the reference URLconf and no middleware.

Issue 21's yardstick is a hello view: the cost ladder's first rung, which pays neither
the project's middleware (request id, JSON log line, CORS, security headers, admission's
refusals) nor its authentication; those are costs the app must justify, not share. Until
2026-12-04 the reference ran the project's middleware too, which made every ratio
kinder than the issue's: in-process the middleware costs twice the hello view itself
(bench/RESULTS.md, "Cost ladder"; the change: "2026-12-04")."""
from taskflow.settings import *  # noqa: F403 - the same apps, database and logging knobs

ROOT_URLCONF = "bench.reference.urls"
MIDDLEWARE: list[str] = []
