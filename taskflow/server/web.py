"""The Procfile's web: process: `python -m taskflow.server.web APP [gunicorn options]` is gunicorn
with taskflow/server/gunicorn.py, started from Python.

gunicorn's own config module parses WEB_CONCURRENCY with int() when it is imported,
before any config file runs, so `WEB_CONCURRENCY=abc gunicorn ...` ends in a traceback.
Our config is imported first here: a bad knob stops the start with one line, as every
other knob does. Then gunicorn runs in this same process (a platform's signals reach
its master directly)."""
import sys


def main() -> None:
    import taskflow.server.gunicorn  # noqa: F401  # validates its knobs; exits with one line

    from gunicorn.app.wsgiapp import run

    # The Procfile names the app (taskflow.wsgi), as gunicorn's own command line would.
    sys.argv = ["gunicorn", "--config", "python:taskflow.server.gunicorn", *sys.argv[1:]]
    run()


if __name__ == "__main__":
    main()
