"""TaskProgress: rich bars on a terminal, flushed plain lines in a log."""

import io

from rich.console import Console

from fedhybrid.progress import TaskProgress


def test_off_a_terminal_each_task_prints_its_start_and_end_and_at_most_every_interval(capsys):
    with TaskProgress(interval_s=3600) as bar:
        for i in range(1, 6):
            bar.update("cloud-only", i, 5)
        bar.update("slm-only", 1, 2)
        bar.update("slm-only", 2, 2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in lines] == ["cloud-only: 1/5", "cloud-only: 5/5", "slm-only: 1/2",
                                                       "slm-only: 2/2"]
    with TaskProgress(interval_s=0) as bar:
        for i in range(1, 4):
            bar.update("reward @ 0.2", i, 3)
    assert len(capsys.readouterr().out.splitlines()) == 3  # every update once the interval has passed


def test_on_a_terminal_it_draws_one_bar_per_task_and_no_plain_lines(capsys):
    screen = io.StringIO()
    with TaskProgress(console=Console(file=screen, force_terminal=True, width=100)) as bar:
        bar.update("cloud-only", 1, 2)
        bar.update("cloud-only", 2, 2)
        bar.update("slm-only", 2, 2)
        assert len(bar._bar.tasks) == 2 and all(t.completed == t.total == 2 for t in bar._bar.tasks)
    assert capsys.readouterr().out == "" and "slm-only" in screen.getvalue()
