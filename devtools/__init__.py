"""Development tooling for tests, benchmarks and docs: not part of the app or the Space."""
