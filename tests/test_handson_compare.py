"""What differs between two honest runs is masked; everything else must match."""

from shared.handson.compare import contains_in_order, diff, lines_match, mask, shown_pids


def test_volatile_parts_are_masked_on_both_sides():
    page = [
        "date: Sat, 21 Nov 2026 21:20:17 GMT",
        '{"id":2,"created_at":"2026-11-21T21:46:11Z"} 201',
        "1|ada@example.com|$2b$12$t/aNPrDKLEF7mbFqdcwl/.TY0FQADNm43fjhMFIrpfH065fC1/Spu|0",
        "INFO:     Started server process [41323]",
        'INFO:     127.0.0.1:46120 - "GET /health HTTP/1.1" 200 OK',
        "200 0.448132s",
        "============================== 8 passed in 0.07s ===============================",
        "platform linux -- Python 3.11.7, pytest-9.2.0, pluggy-1.7.0",
        '  "duration_ms": 1.12,',
        "2026-11-21 21:20:17,478 INFO sqlalchemy.engine.Engine BEGIN (implicit)",
        "client = <httpx.AsyncClient object at 0x7fe4c9105150>",
        "tokens={...TYyOSwiZXhwIjoxNzk1OTA2NDI5fQ.tQEwrspRWk-VQd2qW5hdfYjy4uZilEYbI9nculY-qPU'}",
    ]
    run = [
        "date: Mon, 01 Dec 2026 08:00:00 GMT",
        '{"created_at":"2026-12-01T08:00:00.123456Z","id":2} 201',
        "1|ada@example.com|$2b$12$ND0gf5O0EiNo8tvIV9QE5OLoDWoxhjZzMwh44R66m9clQ43zBD9VS|0",
        "INFO:     Started server process [7]",
        'INFO:     127.0.0.1:5501 - "GET /health HTTP/1.1" 200 OK',
        "200 12.5s",
        "============================= 8 passed in 12.34s ==============================",
        "platform linux -- Python 3.11.9, pytest-9.3.1, pluggy-1.8.0",
        '  "duration_ms": 23.97,',
        "2026-12-01 08:00:00,003 INFO sqlalchemy.engine.Engine BEGIN (implicit)",
        "client = <httpx.AsyncClient object at 0x7f0000000001>",
        "tokens={...Y3OSwiZXhwIjoxNzk1OTA5OTk5fQ.AbcdEfghIjklMnopQrstUvwxYz0123456789-_abcde'}",
    ]

    assert [mask(line) for line in page] == [mask(line) for line in run]


def test_pytest_plugins_match_in_any_order_but_not_in_any_number():
    page = "plugins: asyncio-1.5.0, anyio-4.16.0, cov-7.0.0"

    assert mask(page) == mask("plugins: cov-7.1.0, anyio-4.16.0, asyncio-1.5.0")
    assert mask(page) != mask("plugins: anyio-4.16.0, asyncio-1.5.0")
    assert mask(page) != mask("plugins: anyio-4.16.0, asyncio-1.5.0, cov-7.0.0, xdist-3.8.0")


def test_what_a_reader_checks_is_not_masked():
    assert mask('{"id":1} 201') != mask('{"id":2} 201')
    assert mask("HTTP/1.1 200 OK") != mask("HTTP/1.1 500 Internal Server Error")
    assert mask('INFO:     203.0.113.7:0 - "GET /health') != mask('INFO:     127.0.0.1:0 - "GET')
    assert mask('{"threshold_ms":200}') != mask('{"threshold_ms":500}')


def test_tokens_are_masked_even_when_the_page_shortens_them():
    shortened = '"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIyIiwi…",'
    real = '"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIyIn0.c2lnbmF0dXJl",'

    assert mask(shortened) == mask(real)


def test_an_ellipsis_line_stands_for_any_number_of_lines():
    assert lines_match(["first", "…", "last"], ["first", "a", "b", "last"])
    assert lines_match(["first", "...", "last"], ["first", "last"])
    assert not lines_match(["first", "last"], ["first", "a", "last"])
    assert lines_match(["Traceback", "  ...", "Error"], ["Traceback", "  File x", "Error"])


def test_an_ellipsis_inside_a_line_stands_for_any_text():
    assert lines_match(["Traceback … line 3"], ["Traceback (most recent call last) line 3"])
    assert not lines_match(["Traceback … line 3"], ["Traceback line 4"])


def test_a_server_log_is_checked_in_order_unless_told_otherwise():
    log = ["start", "worker 2 up", "worker 1 up", "stop"]

    assert contains_in_order(["start", "stop"], log)
    assert not contains_in_order(["worker 1 up", "worker 2 up"], log)
    assert contains_in_order(["worker 1 up", "worker 2 up"], log, ordered=False)


def test_process_ids_shown_map_to_this_runs():
    page = ["Started reloader process [100]", "Started server process [101]"]
    run = ["Started reloader process [7]", "Started server process [9]"]

    assert shown_pids(page, run) == {"100": "7", "101": "9"}


def test_a_failure_reads_as_a_diff_of_page_and_run():
    report = diff(["collected 56 items"], ["collected 58 items"], "ch03.md:447 $ pytest")

    assert "-collected 56 items" in report
    assert "+collected 58 items" in report
    assert "ch03.md:447 $ pytest (page)" in report
