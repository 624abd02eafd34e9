"""``nox -s load``: how many people the finished app serves, measured with locust.

The benchmark (``shared/bench``) compares one endpoint with another; this measures a whole
user journey (log in, list, create, complete, page, refresh, with think time between) against
ch12 served the production way, with more and more simulated users, until the 95th percentile
passes the limit or a request fails. The largest number that held, its requests per second and
the CPU it took are then turned into replicas for 10,000 users, with the assumptions stated.

- ``cli``: the options, the run, the files written.
- ``run``: environment, database, Redis prefix, server, seeding, the driver; all cleaned up.
- ``drive``: the locust side (its own process, since locust patches the standard library).
- ``locustfile``: the journey; ``steps``: which user count comes next; ``cpu``: /proc.
- ``capacity``: the 10,000-users arithmetic; ``report``: ``results.md``.
- ``datastore``: seeding and clean-up, run by the app's own environment (asyncpg, redis).
"""
