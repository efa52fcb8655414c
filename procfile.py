"""The Procfile as a platform reads it, and a free local port: what every tool that starts
the service the way a platform does needs (bench/, fuzz/, tasks/tests/)."""
import socket
from pathlib import Path

PROCFILE = Path(__file__).resolve().parent / "Procfile"


def procfile_command(process_type: str) -> str:
    """The command of the Procfile's `<process_type>:` line (`web`, `release`)."""
    for line in PROCFILE.read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process_type:
            return command.strip()
    raise LookupError(f"Procfile has no {process_type}: line")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
