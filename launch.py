"""Starting the service as a platform does, for the tools that do (bench/, fuzz/,
tasks/tests/): the Procfile's commands, a free local port, and stopping what was started."""
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

PROCFILE = Path(__file__).resolve().parent / "Procfile"


def procfile_command(process_type: str, procfile: Path = PROCFILE) -> str:
    """The command of the Procfile's `<process_type>:` line (`web`, `release`); `procfile`
    is another tree's (bench/run --against)."""
    for line in procfile.read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process_type:
            return command.strip()
    raise LookupError(f"Procfile has no {process_type}: line")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def platform_env(database_url: str, better_auth_secret: str, **overrides: str | None) -> dict[str, str]:
    """Only what a Procfile platform gives the web process, in production mode: PATH and
    the contract's required variables; `overrides` adds to them, or removes one (None)."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "DJANGO_SECRET_KEY": "local-django-secret-key-" + "x" * 40,  # only ever on 127.0.0.1
        "BETTER_AUTH_SECRET": better_auth_secret,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CORS_ORIGINS": "https://app.example.com",
        # Required in production (reset mails); nothing listens there unless a test's SMTP server does.
        "EMAIL_URL": "smtp://127.0.0.1:9",
        **overrides,
    }
    return {name: value for name, value in env.items() if value is not None}


def stop_group(process: subprocess.Popen, timeout: float) -> None:
    """Stop a process started with start_new_session (gunicorn and its workers): SIGTERM
    to the whole group, SIGKILL when it is not gone within `timeout` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
