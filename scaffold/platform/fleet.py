"""The fleet: every micro app a platform team looks after, at a glance and updated at once.

An app is a folder with a microapp.yaml. Reading one never raises: a broken repo becomes
a row that says what is wrong, so one bad repo never hides the rest.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scaffold.errors import MicrogateError, UsageError

LAST_CHECK = Path(".git") / "microgate" / "last-check.json"
NEAR_EXPIRY_DAYS = 30


@dataclass
class AppRow:
    path: str
    name: str = ""
    owner: str = ""
    tier: int | None = None
    runtime: str = ""
    budget_usd: float | None = None
    cost_usd: float | None = None
    expires: str = ""
    days_left: int | None = None
    template_version: str = ""
    last_check: str = "never"
    risk: str = ""
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _is_app(path: Path) -> bool:
    return (path / "microapp.yaml").exists() or (path / ".copier-answers.yml").exists()


def discover(paths: Iterable[Path], from_file: Path | None = None) -> list[Path]:
    """The app folders named, one level into folders that are not apps themselves."""
    named = list(paths)
    if from_file is not None:
        try:
            lines = from_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{from_file}: cannot read the repo list ({exc})") from None
        base = from_file.parent
        named += [(base / line.strip()) for line in lines
                  if line.strip() and not line.lstrip().startswith("#")]
    if not named:
        raise UsageError("name the apps' folders, or a file listing them with --from")
    found: list[Path] = []
    missing: list[str] = []
    for path in named:
        if not path.is_dir():
            missing.append(f"{path}: no such folder")
            continue
        if _is_app(path):
            found.append(path)
            continue
        try:
            children = sorted(child for child in path.iterdir()
                              if child.is_dir() and _is_app(child))
        except OSError as exc:
            missing.append(f"{path}: cannot list it ({exc.strerror})")
            continue
        if not children:
            missing.append(f"{path}: no microapp.yaml here or in its folders")
        found += children
    if not found:
        raise UsageError("; ".join(missing[:3]) if missing else "no apps found")
    # One folder gone from the list must not stop the fleet: say so and go on.
    for problem in missing:
        print(f"warning: skipped {problem}", file=sys.stderr)
    return list(dict.fromkeys(p.resolve() for p in found))


def _template_version(repo: Path) -> str:
    from scaffold import yamlio

    try:
        answers = yamlio.load((repo / ".copier-answers.yml").read_text(encoding="utf-8"))
        return str(answers.get("_commit") or "")
    except (OSError, ValueError, AttributeError, UnicodeDecodeError):
        return ""


def _last_check(repo: Path) -> str:
    try:
        record = json.loads((repo / LAST_CHECK).read_text(encoding="utf-8"))
        return f"{record['result']} {record['checked_at'][:10]}"
    except (OSError, ValueError, KeyError, TypeError):
        return "never"


def inspect(repo: Path, today: dt.date | None = None) -> AppRow:
    """One app's row; never raises."""
    from scaffold.engines.risk import score
    from scaffold.manifest import read_manifest

    today = today or dt.date.today()
    row = AppRow(path=str(repo), name=repo.name, template_version=_template_version(repo),
                 last_check=_last_check(repo))
    try:
        loaded = read_manifest(repo / "microapp.yaml")
    except MicrogateError as exc:
        row.problem = exc.message.removeprefix(f"{repo / 'microapp.yaml'}: ")
        return row
    manifest = loaded.manifest
    if manifest is None:
        first = loaded.problems[0] if loaded.problems else None
        row.problem = f"invalid microapp.yaml: {first.field}: {first.message}" if first \
            else "invalid microapp.yaml"
        return row
    row.name, row.owner, row.tier = manifest.name, manifest.owner, manifest.tier
    row.runtime, row.budget_usd = manifest.runtime, manifest.monthly_budget_usd
    row.expires = manifest.expires.isoformat()
    row.days_left = (manifest.expires - today).days
    try:
        from scaffold.checks.cost import estimate_app, read_inputs

        estimates, _ = estimate_app(repo, read_inputs(repo))
        row.cost_usd = round(sum(result.total for _, result in estimates), 2)
    except (MicrogateError, OSError, ValueError, KeyError, TypeError, AttributeError):
        row.cost_usd = None
    try:
        row.risk = score(manifest, {}).decision
    except (MicrogateError, KeyError):
        row.risk = ""
    return row


def inventory(repos: list[Path], today: dt.date | None = None) -> list[AppRow]:
    return sorted((inspect(repo, today) for repo in repos), key=lambda r: (r.name, r.path))


COLUMNS = ("name", "owner", "tier", "runtime", "budget_usd", "cost_usd", "expires",
           "template_version", "last_check", "risk", "problem", "path")


def as_table(rows: list[AppRow]) -> str:
    headers = ("name", "owner", "tier", "runtime", "budget", "est. cost", "expires",
               "template", "last check", "problem")

    def money(value: float | None) -> str:
        return "-" if value is None else f"${value:,.2f}"

    def cells(row: AppRow) -> tuple[str, ...]:
        return (row.name, row.owner, "-" if row.tier is None else str(row.tier), row.runtime,
                money(row.budget_usd), money(row.cost_usd), row.expires,
                row.template_version, row.last_check, row.problem)

    table = [headers] + [cells(row) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                     for line in table) + "\n"


def as_json(rows: list[AppRow]) -> str:
    return json.dumps([asdict(row) for row in rows], indent=2) + "\n"


def as_csv(rows: list[AppRow]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    return buffer.getvalue()


def expired(rows: list[AppRow], within_days: int = 0) -> list[AppRow]:
    return [row for row in rows if row.days_left is not None and row.days_left < within_days]


# Update ------------------------------------------------------------------------------

@dataclass
class FleetUpdate:
    results: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    stopped: bool = False  # Ctrl-C: the apps not in ``results`` were never started

    def by_status(self, status: str) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] == status]

    @property
    def untouched(self) -> int:
        """Apps a stop left as they were: never started, or rolled back."""
        return self.total - len(self.results) + len(self.by_status("cancelled"))

    def summary(self) -> str:
        counts = (f"{len(self.by_status('updated'))} updated, "
                  f"{len(self.by_status('current'))} already current, "
                  f"{len(self.by_status('conflicts'))} in conflict, "
                  f"{len(self.by_status('failed'))} failed")
        lines = [f"{self.total} apps: {counts}, {self.untouched} not updated (stopped)"
                 if self.stopped else f"{len(self.results)} apps: {counts}"]
        for result in sorted(self.by_status("conflicts"), key=lambda r: r["name"]):
            lines.append(f"  conflict: {result['name']} ({result['repo']}): "
                         f"{', '.join(result['conflicts'])}")
        for result in sorted(self.by_status("failed"), key=lambda r: r["name"]):
            lines.append(f"  failed: {result['name']} ({result['repo']}): {result['reason']}")
        return "\n".join(lines)


# Set in a process once the user has stopped the fleet update (Ctrl-C): the update under
# way rolls its app back, and no other app is started.
_stopped = False
_busy = False


def _cancelled(repo: str) -> dict[str, Any]:
    return {"repo": repo, "name": Path(repo).name, "status": "cancelled",
            "reason": "stopped: the app is as it was", "conflicts": []}


def update_one(repo: str, options: dict[str, Any]) -> dict[str, Any]:
    """Update one repo; every failure becomes a result, never an exception."""
    global _busy
    from scaffold.errors import Cancelled
    from scaffold.platform.update import UpdateOptions, update

    if _stopped:
        return _cancelled(repo)
    _busy = True
    try:
        report = update(Path(repo), UpdateOptions(**options))
        _busy = False  # done: a Ctrl-C from here on only keeps the next app from starting
        return report.as_dict()
    except (Cancelled, KeyboardInterrupt):
        return _cancelled(repo)  # update() has rolled the app back
    except MicrogateError as exc:
        return {"repo": repo, "name": Path(repo).name, "status": "failed",
                "reason": exc.message.removeprefix(f"{repo}: "), "conflicts": []}
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return {"repo": repo, "name": Path(repo).name, "status": "failed",
                "reason": f"{where}{exc.strerror or exc}", "conflicts": []}
    except Exception as exc:  # noqa: BLE001 - one broken repo must not stop the fleet
        return {"repo": repo, "name": Path(repo).name, "status": "failed",
                "reason": f"internal error: {type(exc).__name__}: {exc}", "conflicts": []}
    finally:
        _busy = False


def _worker_started() -> None:
    """In each worker: Ctrl-C (from the terminal, or passed on by the main process) stops
    the update under way once, so that it rolls back; a second one does not break the
    roll-back, and one that comes between updates only keeps the next from starting."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        global _stopped
        first = not _stopped
        _stopped = True
        if first and _busy:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)


def update_all(repos: list[Path], options: dict[str, Any], jobs: int | None = None,
               progress: Callable[[int, int, dict[str, Any]], None] | None = None
               ) -> FleetUpdate:
    """Update every repo. Ctrl-C stops it: no other app is started, the ones under way
    roll back, and the result says so (``stopped``)."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    fleet = FleetUpdate(total=len(repos))

    def record(result: dict[str, Any]) -> None:
        fleet.results.append(result)
        if result["status"] == "cancelled":
            fleet.stopped = True
        if progress:
            progress(len(fleet.results), len(repos), result)

    if jobs == 1:
        try:
            for repo in repos:
                record(update_one(str(repo), options))
                if fleet.stopped:
                    break
        except KeyboardInterrupt:
            fleet.stopped = True
        fleet.results.sort(key=lambda r: r["repo"])
        return fleet
    # here, not at the top: `microgate check` imports this module for LAST_CHECK, and the
    # process pool costs ~9 ms to import
    import multiprocessing
    import signal
    from concurrent.futures import Future, ProcessPoolExecutor, as_completed

    futures: list[Future[dict[str, Any]]] = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_started) as pool:
        try:
            futures = [pool.submit(update_one, str(repo), options) for repo in repos]
            for future in as_completed(futures):
                record(future.result())
        except KeyboardInterrupt:
            fleet.stopped = True
            for worker in multiprocessing.active_children():  # when it came here only
                if worker.pid is not None:
                    try:
                        os.kill(worker.pid, signal.SIGINT)
                    except OSError:
                        pass
            pool.shutdown(wait=True, cancel_futures=True)
            seen = {result["repo"] for result in fleet.results}
            for future in futures:  # the ones under way: rolled back, or done meanwhile
                if future.done() and not future.cancelled() and future.exception() is None:
                    result = future.result()
                    if result["repo"] not in seen:
                        fleet.results.append(result)
    fleet.results.sort(key=lambda r: r["repo"])
    return fleet


def progress_bar(done: int, total: int, result: dict[str, Any]) -> None:
    width = 30
    filled = width * done // total
    bar = "#" * filled + "-" * (width - filled)
    line = f"[{bar}] {done}/{total} {result.get('name', '')}: {result['status']}"
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[2K" + line + ("\n" if done == total else ""))
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()
