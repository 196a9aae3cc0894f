"""The fleet record: what `fleet up` started, as `<workdir>/fleet.json` holds it, and whether
each process it names is still the fleet's before anything signals it.

`fleet up` writes the record as it starts each process (`save`: a whole new file, renamed over the
old one); `fleet down` and `fleet traffic` read it (`load_fleet`), refusing a damaged record by name
instead of signalling PIDs read from it, and `fleet down` leaves it as `fleet.down.json` with the
time it stopped the fleet (`stopped_at`). A record left by a crash or a reboot names PIDs the kernel
may have handed to other processes since: `standing` tells them apart by start time and boot id.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path

from fedhybrid.process_group import PROC, boot_id, cmdline, group_alive, started
from fedhybrid.process_group import running as _running
from server.errors import ServerError

FLEET_FILE = "fleet.json"
DOWN_FILE = "fleet.down.json"  # fleet.json once `fleet down` stopped it, with the time it did ("stopped")
PID_MAX = 4_194_304  # Linux pid_max ceiling (2**22): anything above is not a process


def load_fleet(workdir: Path) -> dict:
    """The fleet record `fleet up` wrote, checked before any PID in it is signalled: a damaged
    record (not JSON, not UTF-8, a PID that is not a positive number) is refused by name, since
    `killpg` on a PID of 0 would stop this very process group."""
    path = Path(workdir) / FLEET_FILE
    try:
        fleet = json.loads(path.read_text())
    except FileNotFoundError as exc:
        when = stopped_at(workdir)
        was = f"; the one there was stopped at {when}" if when else ""
        raise ServerError(f"no fleet at {workdir} ({path} is missing{was}): start one with `fedhybrid fleet up`"
                          ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ServerError(_damaged(path, f"{type(exc).__name__}: {exc}")) from exc
    problem = _fleet_problem(fleet)
    if problem:
        raise ServerError(_damaged(path, problem))
    return fleet


def stopped_at(workdir: Path) -> str | None:
    """When `fleet down` stopped the fleet in `workdir` (local time), if none was started there
    since; None otherwise. A record from before the time was kept gives the time it was renamed."""
    work = Path(workdir)
    down = work / DOWN_FILE
    if (work / FLEET_FILE).exists() or not down.is_file():
        return None
    try:
        when = json.loads(down.read_text()).get("stopped")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError, AttributeError):
        when = None
    if not isinstance(when, (int, float)) or isinstance(when, bool):
        when = down.stat().st_ctime  # the rename that made it changed its ctime
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))


def _damaged(path: Path, problem: str) -> str:
    """What to do about a fleet record that cannot be trusted: its PIDs are not signalled, so the
    user stops the fleet by hand, then moves the record aside (it blocks `fleet up` and `traffic`)."""
    aside = path.with_name(f"{path.name}.damaged")
    return (f"{path} is damaged ({problem}), so the fleet's processes cannot be read from it and none is stopped: "
            f"stop any still running by hand (`ps -eo pid,pgid,lstart,args | grep -e fedhybrid -e flower` lists "
            f"candidates; `kill -- -PGID` stops one with its group), then move the file aside, since it blocks "
            f"`fedhybrid fleet up` and `fleet traffic` there: mv {shlex.quote(str(path))} {shlex.quote(str(aside))}")


def _fleet_problem(fleet) -> str | None:
    if not isinstance(fleet, dict):
        return f"a JSON {type(fleet).__name__}, not an object"
    if not isinstance(fleet.get("workdir"), str):
        return "no 'workdir' string"
    for key, fields in (("processes", ("pid", "name")), ("agents", ("device", "tier", "url"))):
        entries = fleet.get(key)
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            return f"'{key}' is not a list of objects"
        for entry in entries:
            missing = [f for f in fields if f not in entry]
            if missing:
                return f"an entry of '{key}' lacks {', '.join(missing)}"
    for proc in fleet["processes"]:
        pid = proc["pid"]
        if not isinstance(pid, int) or isinstance(pid, bool) or not 1 < pid <= PID_MAX:
            return f"process {proc['name']!r} has pid {pid!r}"
    return None


def standing(proc: dict, fleet: dict) -> tuple[str, str]:
    """Whether the process group `proc` of a fleet record is still the fleet's, checked before any
    signal: ("ours", ""), ("gone", "") when nothing runs there, ("other", why) when its PID now
    belongs to another process, ("unknown", why) when the record cannot tell. A PID is the fleet's
    process while its start time is the recorded one, on the recorded boot. A group whose leader
    exited (a Flower helper outliving it) is the fleet's on that boot: the kernel hands out no PID
    that a live group still uses as its id. A record from before start times were kept (fleet up
    of an earlier fedhybrid) is checked by the command line it recorded, which holds the fleet's
    own ports and paths; a group without its leader cannot be checked that way."""
    pid, recorded = proc["pid"], proc.get("started")
    if not PROC.is_dir():  # no /proc (not Linux): nothing to check with; the PID is trusted, as before
        return ("ours", "") if _running(pid) else ("gone", "")
    now = started(pid)
    if isinstance(recorded, int) and not isinstance(recorded, bool):
        if fleet.get("boot") != boot_id():
            why = f"the machine restarted since `fleet up`, so pid {pid} (running now) is another process"
            return ("other", why) if _running(pid) else ("gone", "")
        if now is None:
            return ("ours", "") if group_alive(pid) else ("gone", "")
        if now == recorded:
            return "ours", ""
        return "other", f"pid {pid} now belongs to another process (its start time is not the one fleet up recorded)"
    hand = f"check `ps -o pid,lstart,args -g {pid}` and stop it with `kill -- -{pid}` if it is the fleet's"
    if now is None:
        if not group_alive(pid):
            return "gone", ""
        return "unknown", (f"its leader exited and fleet.json (from an older fedhybrid) keeps no start time to tell "
                           f"group {pid} from another: {hand}")
    cmd = proc.get("cmd")
    if not isinstance(cmd, list) or not cmd or not all(isinstance(a, str) for a in cmd):
        return "unknown", f"fleet.json keeps neither its start time nor its command line to tell pid {pid}: {hand}"
    if (cmdline(pid) or [])[-len(cmd):] == cmd:  # a script's interpreter may come first
        return "ours", ""
    return "other", f"pid {pid} now runs another command than the one fleet up recorded"


def save(workdir: Path, fleet: dict) -> None:
    tmp = workdir / f".{FLEET_FILE}.tmp"
    tmp.write_text(json.dumps(fleet, indent=2))
    os.replace(tmp, workdir / FLEET_FILE)
