#!/usr/bin/env python3
"""The guarantees of several TodoList app replicas on one database, under concurrent writes.

    replicas_check.py --via http://127.0.0.1:3301 \
        --replica http://127.0.0.1:3302 --replica http://127.0.0.1:3303 \
        --replica http://127.0.0.1:3304 --database-url postgres://postgres@127.0.0.1:5432/replicas

Run by replicas.sh beside it (Python 3, standard library only). Three checks, requests spread
over the replicas (and the load balancer, `--via`):

- No lost updates (the version and ETag). One todo list keeps a counter in its title
  ("counter 17"). WORKERS threads each do ROUNDS read-modify-writes: GET /todo-lists/{id} on one
  replica (the ETag and the counter), PATCH /todo-lists/{id} with `If-Match: <etag>` and the
  counter + 1 on the next replica; a 412 means another writer came first, so it re-reads and
  retries (so it does on a 409 TRANSACTION_CONFLICT: the server gave up on concurrent writes
  and applied nothing). At the end the counter must equal the number of PATCHes answered 204, and the
  version 1 + that number, on every replica.
- A control, which asserts nothing: the same without If-Match loses updates, which shows the
  first check can see them.
- No duplicates (the unique todoListId of TodoListImage). For LISTS todo lists at once, RACERS
  concurrent POST /todo-lists/{id}/image each, released together: exactly one 200 per list and
  409 CONFLICT for the rest; afterwards GET /todo-lists/{id}/image answers the winner's image,
  and PostgreSQL holds exactly one row per list (counted with psql).

No 5xx (nor any status a check does not expect) may appear, nor a transport error. Exits 1
when a guarantee fails, 2 when it cannot run; prints what it saw either way.
"""

import argparse
import collections
import http.client
import json
import subprocess
import sys
import threading
import urllib.parse

# Transport failures of one request: the server closed or reset the connection, or it timed out.
TRANSPORT_ERRORS = (http.client.HTTPException, ConnectionError, TimeoutError, OSError)


class Tally:
    """Every answer seen, by method, route and status; and the transport errors."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = collections.Counter()
        self.transport = []

    def status(self, method, route, status):
        with self.lock:
            self.statuses[(method, route, status)] += 1

    def failed(self, method, route, error):
        with self.lock:
            self.transport.append(f"{method} {route}: {type(error).__name__}: {error}")

    def server_errors(self):
        return sum(n for (_, _, status), n in self.statuses.items() if status >= 500)


TALLY = Tally()


class Client:
    """One thread's keep-alive connections, one per base URL."""

    def __init__(self, timeout=30.0):
        self.timeout = timeout
        self.connections = {}

    def _connection(self, base):
        conn = self.connections.get(base)
        if conn is None:
            parts = urllib.parse.urlsplit(base)
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
            self.connections[base] = conn
        return conn

    def close(self):
        for conn in self.connections.values():
            conn.close()
        self.connections.clear()

    def request(self, method, base, path, route, body=None, headers=None):
        """(status, headers with lower-case names, JSON body or text, or None for no body).

        A GET whose connection failed is sent once more on a fresh one (it changes nothing);
        a write is not, since it may have been applied: its transport error is returned as
        status None and tallied, which fails the run.
        """
        payload = None if body is None else json.dumps(body).encode()
        sent_headers = dict(headers or {})
        if payload is not None:
            sent_headers["Content-Type"] = "application/json"
        attempts = 2 if method == "GET" else 1
        for attempt in range(attempts):
            conn = self._connection(base)
            try:
                conn.request(method, path, body=payload, headers=sent_headers)
                response = conn.getresponse()
                raw = response.read()
            except TRANSPORT_ERRORS as error:
                conn.close()
                self.connections.pop(base, None)
                if attempt + 1 < attempts:
                    continue
                TALLY.failed(method, route, error)
                return None, {}, None
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                self.connections.pop(base, None)
            TALLY.status(method, route, response.status)
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return response.status, answer_headers, parsed
        raise AssertionError("unreachable")


def fail_setup(message):
    print(f"replicas_check: cannot run: {message}", file=sys.stderr)
    sys.exit(2)


def create_list(client, base, title):
    status, _, body = client.request("POST", base, "/todo-lists", "/todo-lists", {"title": title})
    if status != 200 or not isinstance(body, dict) or "id" not in body:
        fail_setup(f"POST /todo-lists on {base}: {status} {body}")
    return body


def parse_counter(title):
    prefix = "counter "
    if not isinstance(title, str) or not title.startswith(prefix):
        return None
    try:
        return int(title[len(prefix):])
    except ValueError:
        return None


def read_counter(client, base, list_id, problems):
    """(counter, version, etag) of the list as `base` answers it, or None (a problem noted)."""
    status, headers, body = client.request(
        "GET", base, f"/todo-lists/{list_id}", "/todo-lists/{id}"
    )
    if status != 200 or not isinstance(body, dict):
        problems.append(f"GET /todo-lists/{list_id} on {base}: {status} {body}")
        return None
    etag, version = headers.get("etag"), body.get("version")
    counter = parse_counter(body.get("title"))
    if etag != f'"{version}"' or counter is None:
        problems.append(f"GET /todo-lists/{list_id} on {base}: ETag {etag} for {body}")
        return None
    return counter, version, etag


def increments(bases, list_id, workers, rounds, conditional):
    """WORKERS threads doing ROUNDS read-modify-writes each; returns what they saw."""
    lock = threading.Lock()
    seen = {"applied": 0, "refused": 0, "conflicts": 0, "problems": []}
    start = threading.Barrier(workers)

    def worker(w):
        client = Client()
        applied = refused = conflicts = 0
        problems = []
        start.wait()
        attempt = 0
        for _ in range(rounds):
            for _ in range(10_000):
                attempt += 1
                reader = bases[(w + attempt) % len(bases)]
                writer = bases[(w + attempt + 1) % len(bases)]
                read = read_counter(client, reader, list_id, problems)
                if read is None:
                    break
                counter, _, etag = read
                headers = {"If-Match": etag} if conditional else {}
                status, _, body = client.request(
                    "PATCH",
                    writer,
                    f"/todo-lists/{list_id}",
                    "/todo-lists/{id}",
                    {"title": f"counter {counter + 1}"},
                    headers,
                )
                if status == 204:
                    applied += 1
                    break
                if status == 412 and conditional:
                    refused += 1
                    continue
                if status == 409 and isinstance(body, dict) and (
                    body.get("error", {}).get("code") == "TRANSACTION_CONFLICT"
                ):
                    # Not applied (the server gave up on concurrent writes): read again.
                    conflicts += 1
                    continue
                problems.append(f"PATCH /todo-lists/{list_id} on {writer}: {status} {body}")
                break
            else:
                problems.append(f"worker {w}: 10000 attempts refused in a row")
            if problems:
                break
        client.close()
        with lock:
            seen["applied"] += applied
            seen["refused"] += refused
            seen["conflicts"] += conflicts
            seen["problems"].extend(problems)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return seen


def check_lost_updates(args, bases):
    """Returns (lost, problems)."""
    client = Client()
    created = create_list(client, args.via, "counter 0")
    list_id = created["id"]
    if created.get("version") != 1:
        return None, [f"a new list is not at version 1: {created}"]
    seen = increments(bases, list_id, args.workers, args.rounds, conditional=True)
    problems = list(seen["problems"])
    applied = seen["applied"]
    finals = {}
    for base in [args.via, *args.replica]:
        read = read_counter(client, base, list_id, problems)
        if read is not None:
            finals[base] = read
    client.close()
    if len(set(finals.values())) > 1:
        problems.append(f"the replicas disagree on the list: {finals}")
    if not finals:
        return None, problems
    counter, version, _ = finals[args.via]
    lost = applied - counter
    if version != 1 + applied:
        problems.append(f"version {version} after {applied} applied PATCHes (expected {1 + applied})")
    print(
        f"lost updates: {lost} ({args.workers} workers × {args.rounds} read-modify-writes, "
        f"each GET on one replica and PATCH If-Match on the next: {applied} PATCHes 204, "
        f"{seen['refused']} refused 412 and {seen['conflicts']} 409 TRANSACTION_CONFLICT, each "
        f"retried; final title \"counter {counter}\", "
        f"version {version}, the same on every replica)"
    )
    return lost, problems


def control_without_if_match(args, bases):
    """The same read-modify-write without If-Match: lost updates are expected (asserts nothing)."""
    client = Client()
    list_id = create_list(client, args.via, "counter 0")["id"]
    rounds = max(1, args.rounds // 4)
    seen = increments(bases, list_id, args.workers, rounds, conditional=False)
    problems = []
    read = read_counter(client, args.via, list_id, problems)
    client.close()
    if read is None or seen["problems"]:
        print(f"control without If-Match: could not finish: {problems + seen['problems']}")
        return seen["problems"] + problems
    counter = read[0]
    print(
        f"control without If-Match (not a guarantee): {seen['applied'] - counter} of "
        f"{seen['applied']} updates lost ({seen['conflicts']} PATCHes answered 409 "
        f"TRANSACTION_CONFLICT and retried), so the check above can see lost updates"
    )
    return []


def psql_rows(database_url, sql):
    try:
        out = subprocess.run(
            ["psql", database_url, "-v", "ON_ERROR_STOP=1", "-tA", "-F", "\t", "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        stderr = getattr(error, "stderr", "") or ""
        fail_setup(f"psql: {error} {stderr.strip()}")
    return [line.split("\t") for line in out.splitlines() if line]


def check_duplicates(args, bases):
    """Returns (duplicates, problems)."""
    client = Client()
    ids = [create_list(client, args.via, f"images {i}")["id"] for i in range(args.lists)]
    client.close()
    targets = [*args.replica, args.via]
    answers = collections.defaultdict(list)
    lock = threading.Lock()
    barriers = {list_id: threading.Barrier(args.racers) for list_id in ids}

    def racer(list_id, r):
        client = Client()
        base = targets[(list_id + r) % len(targets)]
        barriers[list_id].wait()
        status, _, body = client.request(
            "POST",
            base,
            f"/todo-lists/{list_id}/image",
            "/todo-lists/{id}/image",
            {"value": f"racer {r}"},
        )
        client.close()
        with lock:
            answers[list_id].append((r, base, status, body))

    threads = [
        threading.Thread(target=racer, args=(list_id, r))
        for list_id in ids
        for r in range(args.racers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    problems = []
    duplicates = 0
    created = conflicts = 0
    client = Client()
    for list_id in ids:
        winners = [a for a in answers[list_id] if a[2] == 200]
        losers = [
            a
            for a in answers[list_id]
            if a[2] == 409
            and isinstance(a[3], dict)
            and a[3].get("error", {}).get("code") == "CONFLICT"
        ]
        created += len(winners)
        conflicts += len(losers)
        duplicates += max(0, len(winners) - 1)
        others = [a for a in answers[list_id] if a not in winners and a not in losers]
        if len(winners) != 1 or others:
            problems.append(
                f"list {list_id}: {len(winners)} × 200, {len(losers)} × 409 CONFLICT, "
                f"others {[(a[1], a[2], a[3]) for a in others]}"
            )
        base = bases[list_id % len(bases)]
        status, _, image = client.request(
            "GET", base, f"/todo-lists/{list_id}/image", "/todo-lists/{id}/image"
        )
        if winners:
            expected = {"id": winners[0][3].get("id"), "value": winners[0][3].get("value"),
                        "todoListId": list_id}
            if status != 200 or image != expected:
                problems.append(
                    f"GET /todo-lists/{list_id}/image on {base}: {status} {image}, "
                    f"expected the winner's {expected}"
                )
    client.close()

    rows = psql_rows(
        args.database_url,
        'SELECT "todoListId", count(*) FROM "TodoListImage" GROUP BY 1 ORDER BY 1',
    )
    stored = {int(k): int(n) for k, n in rows if k}
    in_db = sum(max(0, stored.get(i, 0) - 1) for i in ids)
    missing = [i for i in ids if stored.get(i, 0) == 0]
    if in_db or missing:
        problems.append(
            f"PostgreSQL: {in_db} extra image rows, lists without one: {missing} ({stored})"
        )
    duplicates = max(duplicates, in_db)
    print(
        f"duplicates: {duplicates} ({args.lists} lists × {args.racers} concurrent "
        f"POST /todo-lists/{{id}}/image spread over {len(args.replica)} replicas and the load "
        f"balancer: {created} × 200, {conflicts} × 409 CONFLICT; each list's GET image is "
        f"the winner's, and PostgreSQL holds {sum(stored.get(i, 0) for i in ids)} rows for "
        f"the {len(ids)} lists)"
    )
    return duplicates, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--via", required=True, help="the load balancer's URL")
    parser.add_argument("--replica", action="append", required=True, help="a replica's URL")
    parser.add_argument("--database-url", required=True, help="the PostgreSQL URL, for psql")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--lists", type=int, default=20)
    parser.add_argument("--racers", type=int, default=12)
    args = parser.parse_args()
    args.via = args.via.rstrip("/")
    args.replica = [r.rstrip("/") for r in args.replica]
    bases = list(args.replica)

    failures = []
    lost, problems = check_lost_updates(args, bases)
    failures += problems
    if lost is None:
        failures.append("lost updates: could not be counted")
    elif lost != 0:
        failures.append(f"lost updates: {lost}")
    control_without_if_match(args, bases)
    duplicates, problems = check_duplicates(args, bases)
    failures += problems
    if duplicates != 0:
        failures.append(f"duplicates: {duplicates}")

    server_errors = TALLY.server_errors()
    print(f"5xx responses: {server_errors}; transport errors: {len(TALLY.transport)}")
    if server_errors:
        failures.append(f"{server_errors} responses were 5xx")
    failures += TALLY.transport[:10]
    summary = ", ".join(
        f"{method} {route} {status} × {n}"
        for (method, route, status), n in sorted(TALLY.statuses.items())
    )
    print(f"answers: {summary}")
    if failures:
        print("FAILED:", file=sys.stderr)
        for failure in failures[:20]:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
