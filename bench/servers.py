"""The servers bench/run starts and measures: the service from a Procfile's web: line (or
--against-web's command), the trivial-DRF reference on plain gthread, another git ref's
tree; their worker PIDs, RSS and log problems. Each runs in a process group of its own,
which `stop()` ends."""
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launch import free_port, procfile_command, stop_group  # the project root is on sys.path (bench.py)

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log: Path
    db_url: str = ""
    rss_samples: list[dict[str, int]] = field(default_factory=list)

    def worker_pids(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.gunicorn_pid():
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def gunicorn_pid(self) -> int:
        # `bash -c` execs a single command, so the process we started is gunicorn's master.
        return self.process.pid

    def sample_rss(self, label: str) -> dict[str, int]:
        """Peak (VmHWM) and current RSS in KiB per worker, from /proc."""
        sample: dict[str, Any] = {"label": label, "workers": {}}
        for pid in self.worker_pids():
            status = _proc_status(pid)
            sample["workers"][pid] = {"hwm_kib": status.get("VmHWM", 0), "rss_kib": status.get("VmRSS", 0)}
        sample["master_rss_kib"] = _proc_status(self.gunicorn_pid()).get("VmRSS", 0)
        self.rss_samples.append(sample)
        return sample

    def stop(self) -> None:
        stop_group(self.process, timeout=25)

    def log_problems(self) -> dict[str, int]:
        text = self.log.read_text(errors="replace")
        return {
            "worker_timeouts": len(re.findall(r"WORKER TIMEOUT", text)),
            "worker_boots": len(re.findall(r"Booting worker", text)),
            "worker_exits": len(re.findall(r"Worker \(pid:\d+\) (?:exited|was sent)", text)),
            "tracebacks": text.count("Traceback"),
        }


def _proc_status(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in lines) if v.strip().endswith("kB")}


# The reference: a trivial DRF view (bench/reference) on plain gunicorn gthread, 3 workers
# x 8 threads, as issue 21 defines the ceiling of any DRF endpoint on this machine; not
# the Procfile's server, so that a change to ours moves the app's figures, not the yardstick.
REFERENCE_COMMAND = ("python -m gunicorn bench.reference.wsgi --worker-class gthread --workers 3 --threads 8 "
                     "--bind 127.0.0.1:$PORT")


def start_server(name: str, wsgi: str, env: dict[str, str], run_dir: Path, root: Path = ROOT,
                 command: str = "") -> Server:
    """`command` instead of the Procfile's web: line (bench/run --against-web)."""
    if not command:
        command = REFERENCE_COMMAND if wsgi == "bench.reference.wsgi" else procfile_command("web", root / "Procfile")
    port = free_port()
    log = run_dir / f"gunicorn-{name}.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(["bash", "-c", command], cwd=root, env={**env, "PORT": str(port)},
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, f"http://127.0.0.1:{port}", process, log, env.get("DATABASE_URL", ""))
    STARTED.append(server)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{name} did not start:\n{log.read_text()}")
            time.sleep(0.2)
    return server


STARTED: list[Server] = []


def settle(servers: list[Server], quiet_seconds: float = 3.0) -> None:
    """Wait until every server answers HTTP and its workers have booted, then a little
    more: a server accepts connections as soon as its master listens, while its workers
    are still importing Django, and the first reference run then shared the CPU with
    three booting workers (once 955 req/s against ~3,400 for the rest of the run)."""
    import requests

    for server in servers:
        path = "/bench/reference" if server.name == "ref" else "/health"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(server.url + path, headers={"X-Forwarded-Proto": "https"}, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
    time.sleep(quiet_seconds)


def checkout(ref: str, run_dir: Path) -> Path:
    """The tree of a git ref (`main`, a commit), unpacked beside this run's output; it runs
    with this tree's venv, so its requirements must be a subset of ours."""
    tree = run_dir / "against"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree
