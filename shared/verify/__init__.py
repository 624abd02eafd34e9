"""The reliability and security battery behind ``nox -s verify``.

Each chapter from ch03 is served in its own virtual environment and put through three
sections: schema fuzzing (schemathesis against the chapter's own OpenAPI), attack cases
(OWASP ASVS: tokens, sessions, access control, input) and fault injection (database outage,
graceful shutdown, races). ``battery/`` is the pytest suite run once per chapter; ``results``
aggregates what each run wrote and prints one table.
"""
