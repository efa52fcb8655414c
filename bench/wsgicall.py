"""One request handed straight to a WSGI application, as gunicorn would hand it: for the
in-process measurements (bench/inprocess.py, bench/ladder), no server and no network."""
import io
import sys
from collections.abc import Callable


def call_wsgi(application: Callable, method: str, path: str, token: str, body: bytes) -> str:
    """The answer's status line, after the whole body was produced and the response closed."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json", "wsgi.errors": sys.stderr,
               "HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_X_FORWARDED_PROTO": "https"}
    status = []
    response = application(environ, lambda s, h, e=None: status.append(s))
    b"".join(response)
    response.close()
    return status[0]
