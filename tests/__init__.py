"""Cross-cutting tests of the platform as a whole (database engines, browser, tooling).

Tests of one app live in ``src/egov/<app>/tests/``; this package holds only what belongs to no app.
"""
