#!/usr/bin/env python3
"""Crash and concurrency test for qabot (minutes; not part of `cargo test`).

1. Kills: SIGKILL `qabot load` of a large generated JSONL file at random moments (new databases,
   so creation is hit too, and replacing loads into a full one). After every kill: PRAGMA
   integrity_check is ok, every stored interview has all of its pairs (all or nothing), a new
   database has its bundled interview. Then the load is re-run to the end and the counts must be
   exact.
2. Readers during a load: a replacing load of the whole file while 4 readers run `ask`, `sql`
   and `interviews` in a loop; reports errors (non-zero exit, "locked") and latency percentiles.

Usage: scripts/crash-test.py [--qabot target/release/qabot] [--kills 50] [--interviews 400]
       [--pairs 50] [--seed 1]
Everything is invented text; nothing leaves a temporary folder.
"""

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

BUNDLED_PAIRS = 14
WORDS = "电池 芯片 工厂 价格 市场 研发 人才 供应链 算力 模型 成本 出口 利润 客户 政策 标准".split()


def interview(i, version):
    """Interview i of the generated file; version changes every answer (a replacing load)."""
    rng = random.Random(i)
    pairs = []
    for p in range(ARGS.pairs):
        topic = "".join(rng.choice(WORDS) for _ in range(3))
        pairs.append({
            "question": f"第{i}号访谈第{p}问:{topic}的前景如何?",
            "turns": [{"speaker": f"嘉宾{i % 37}", "text": f"版本{version}:{topic}{rng.randint(1, 10**6)}。"}],
        })
    return {"title": f"生成的访谈 {i}", "slug": f"gen-{i}", "pairs": pairs}


def write_file(path, version):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(ARGS.interviews):
            f.write(json.dumps(interview(i, version), ensure_ascii=False) + "\n")


def qabot(db, *args, **kw):
    return subprocess.run([ARGS.qabot, "--db", db, *args], capture_output=True, text=True, **kw)


def check(db, complete):
    """Integrity, all-or-nothing interviews, bundled interview; exact counts when `complete`."""
    if not os.path.exists(db):
        return []
    problems = []
    conn = sqlite3.connect(db)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            return problems  # killed before the schema was committed: an empty file is fine
        partial = conn.execute(
            "SELECT count(*) FROM interviews i WHERE slug LIKE 'gen-%' AND "
            "(SELECT count(*) FROM pairs WHERE interview_id = i.id) != ?", (ARGS.pairs,)).fetchone()[0]
        if partial:
            problems.append(f"{partial} interviews stored partially")
        mixed = conn.execute(
            "SELECT count(*) FROM (SELECT p.interview_id FROM pairs p JOIN turns t ON t.pair_id = p.id "
            "JOIN interviews i ON i.id = p.interview_id WHERE i.slug LIKE 'gen-%' "
            "GROUP BY p.interview_id HAVING count(DISTINCT substr(t.text, 1, 4)) > 1)").fetchone()[0]
        if mixed:
            problems.append(f"{mixed} interviews mix two versions")
        if complete:
            n, p = conn.execute("SELECT count(*), (SELECT count(*) FROM pairs) FROM interviews").fetchone()
            if (n, p) != (ARGS.interviews + 1, ARGS.interviews * ARGS.pairs + BUNDLED_PAIRS):
                problems.append(f"after re-running: {n} interviews, {p} pairs")
        pending = conn.execute("SELECT count(*) FROM meta WHERE key = 'seed_pending'").fetchone()[0]
        bundled = conn.execute("SELECT count(*) FROM interviews WHERE slug NOT LIKE 'gen-%'").fetchone()[0]
        if complete and (pending or bundled != 1):
            problems.append("the bundled interview is missing")
    finally:
        conn.close()
    return problems


def kill_at_random(db, data, max_delay):
    proc = subprocess.Popen([ARGS.qabot, "--db", db, "load", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, max_delay))
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return killed


def kills(tmp, v1, v2):
    # How long a full load takes, to spread the kills over it.
    probe = os.path.join(tmp, "probe.db")
    start = time.monotonic()
    qabot(probe, "load", v1, check=True)
    full = time.monotonic() - start
    print(f"full load of {ARGS.interviews * ARGS.pairs} pairs: {full:.1f} s", flush=True)
    failures, hits = 0, 0
    for k in range(ARGS.kills):
        db = os.path.join(tmp, f"k{k}.db")
        fresh = k % 2 == 0
        if not fresh:
            subprocess.run(["cp", probe, db], check=True)
        data = v1 if fresh else v2
        hits += kill_at_random(db, data, full * 1.1)
        problems = check(db, complete=False)
        qabot(db, "load", data)
        problems += check(db, complete=True)
        kind = "new database" if fresh else "replacing load"
        if problems:
            failures += 1
        print(f"kill {k + 1}/{ARGS.kills} ({kind}): {'; '.join(problems) or 'ok'}", flush=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    print(f"kills: {ARGS.kills} runs, {hits} killed mid-load, {failures} with problems")
    return probe, failures


def readers(db, data):
    latencies, errors, lock = [], [], threading.Lock()
    done = threading.Event()
    commands = [["ask", "--no-log", "芯片的前景如何?"], ["sql", "SELECT count(*) FROM pairs"], ["interviews"]]

    def reader(n):
        i = n
        while not done.is_set():
            cmd = commands[i % len(commands)]
            i += 1
            start = time.monotonic()
            out = qabot(db, *cmd)
            elapsed = time.monotonic() - start
            with lock:
                latencies.append(elapsed)
                if out.returncode != 0 or "locked" in out.stderr:
                    errors.append(f"{cmd[0]}: rc {out.returncode} {out.stderr.strip()[:200]}")

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    start = time.monotonic()
    load = subprocess.Popen([ARGS.qabot, "--db", db, "load", data], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for t in threads:
        t.start()
    _, load_err = load.communicate()
    load_time = time.monotonic() - start
    done.set()
    for t in threads:
        t.join()
    latencies.sort()
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(f"readers during a {load_time:.1f} s replacing load (rc {load.returncode}): {len(latencies)} reads, "
          f"{len(errors)} errors, p50 {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    for e in errors[:5]:
        print("  " + e)
    return len(errors) + (load.returncode != 0)


def main():
    random.seed(ARGS.seed)
    with tempfile.TemporaryDirectory() as tmp:
        v1, v2 = os.path.join(tmp, "v1.jsonl"), os.path.join(tmp, "v2.jsonl")
        write_file(v1, 1)
        write_file(v2, 2)
        probe, failures = kills(tmp, v1, v2)
        failures += readers(probe, v2)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qabot", default="target/release/qabot")
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--interviews", type=int, default=400)
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    ARGS = parser.parse_args()
    main()
