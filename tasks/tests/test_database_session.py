"""What every database session of ours starts with (tasks.database.session, settings):
the server-side timeouts, and libpq's dead-host bounds."""
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "expected"), [
    ("statement_timeout", "5s"),
    ("idle_in_transaction_session_timeout", "10s"),
])
def test_the_session_has_the_server_side_timeout(name: str, expected: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        assert cursor.fetchone()[0] == expected


def test_the_connection_has_keepalives_and_a_tcp_user_timeout() -> None:
    connection.ensure_connection()
    parameters = connection.connection.info.get_parameters()
    assert {name: parameters.get(name) for name in ("keepalives", "keepalives_idle", "keepalives_interval",
                                                    "keepalives_count", "tcp_user_timeout")} == {
        "keepalives": "1", "keepalives_idle": "5", "keepalives_interval": "2", "keepalives_count": "3",
        "tcp_user_timeout": "10000"}
