"""End-to-end tests: refsync as a runner meets it. The real entrypoint in a subprocess with a
runner's environment (exit codes, log, job summary, outputs, plan file), against real
databases and the services around them: a fake GitHub API over HTTP, PgBouncer, a TLS-only
server, and (marked `docker`) the action's image in a Docker engine."""
