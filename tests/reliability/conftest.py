"""Reliability tier: the closing figures printed at the end of the session."""

from tests.reliability import figures


def pytest_terminal_summary(terminalreporter):
    figures.terminal_summary(terminalreporter)
