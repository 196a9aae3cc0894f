"""The ServerApp's round lines reach its output under the deployment engine."""

import subprocess
import sys


def test_round_lines_are_printed_where_the_process_has_no_logging_handler():
    """A deployment ServerApp process has no handler: its INFO round lines were dropped by
    Python's last resort (WARNING and above), so `flwr run --stream` showed drops, never rounds."""
    code = ("import logging\n"
            "from server.app import log, show_round_lines\n"
            "log.info('before')\n"
            "show_round_lines()\n"
            "log.info('round 1/2: 3 replies, 0 dropped')\n"
            "log.warning('round 1: no reply from edge-1')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert "before" not in out.stderr  # what Python does alone
    assert "INFO fedhybrid.server: round 1/2: 3 replies, 0 dropped" in out.stderr, out.stderr
    assert out.stderr.count("no reply from edge-1") == 1  # once, not also through the last resort


def test_where_a_handler_exists_only_the_level_is_set():
    code = ("import logging, sys\n"
            "logging.basicConfig(stream=sys.stdout, format='ROOT %(message)s')\n"
            "from server.app import log, show_round_lines\n"
            "show_round_lines()\n"
            "log.info('round 1/2')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "ROOT round 1/2" and out.stderr == "", (out.stdout, out.stderr)
