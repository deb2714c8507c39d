#!/usr/bin/env python3
"""Crash and concurrency test for qabot (minutes; not part of `cargo test`).

1. Kills: SIGKILL `qabot load` of a large generated JSONL file at random moments (new databases,
   so creation is hit too, and replacing loads into a full one). After every kill: PRAGMA
   integrity_check is ok, every stored interview has all of its pairs (all or nothing), a new
   database has its bundled interview. Then the load is re-run to the end and the counts must be
   exact.
2. Readers during a load: a replacing load of the whole file while 4 readers run `ask`, `sql`
   and `interviews` in a loop; reports errors (non-zero exit, "locked", a wrong pair count, a
   missing interview, an answer mixing versions), how many answers came from the old data, and
   latency percentiles per command. `--kills 0` runs only this part (after one full load).

Usage: scripts/crash-test.py [--qabot target/release/qabot] [--kills 50] [--interviews 400]
       [--pairs 50] [--seed 1]
       e.g. 100k pairs: --kills 0 --interviews 5000 --pairs 20
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


def percentile(values, q):
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def readers(db, data):
    """A replacing load of `data` with 4 readers looping over ask, sql and interviews: errors,
    latency per command, and whether each answer came from the old data (before the load
    committed) or the new, never a mix."""
    latencies, errors, versions, lock = {}, [], {"old": 0, "new": 0}, threading.Lock()
    done = threading.Event()
    total = ARGS.interviews * ARGS.pairs + BUNDLED_PAIRS
    # A stored question: its answer says which version it came from.
    question = interview(min(7, ARGS.interviews - 1), 1)["pairs"][min(3, ARGS.pairs - 1)]["question"]
    commands = [["ask", "--no-log", "--json", question],
                ["sql", "--json", "SELECT count(*) AS n FROM pairs"], ["interviews"]]

    def problem(cmd, out):
        if out.returncode != 0 or "locked" in out.stderr:
            return f"rc {out.returncode} {out.stderr.strip()[:200]}"
        if cmd[0] == "sql" and json.loads(out.stdout)[0]["n"] != total:
            return f"saw {out.stdout.strip()} pairs, not {total}"
        if cmd[0] == "interviews" and f"gen-{ARGS.interviews - 1}" not in out.stdout:
            return "the last interview is missing"
        if cmd[0] == "ask":
            text = json.dumps(json.loads(out.stdout).get("match"), ensure_ascii=False)
            seen = [v for v in ("版本1", "版本2") if v in text]
            if len(seen) != 1:
                return f"answer from neither or both versions: {text[:200]}"
            with lock:
                versions["old" if seen == ["版本1"] else "new"] += 1
        return None

    def reader(n):
        i = n
        while not done.is_set():
            cmd = commands[i % len(commands)]
            i += 1
            start = time.monotonic()
            out = qabot(db, *cmd)
            elapsed = time.monotonic() - start
            wrong = problem(cmd, out)
            with lock:
                latencies.setdefault(cmd[0], []).append(elapsed)
                if wrong:
                    errors.append(f"{cmd[0]}: {wrong}")

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
    every = sorted(x for values in latencies.values() for x in values)
    locked = sum("locked" in e for e in errors)
    print(f"readers during a {load_time:.1f} s replacing load of {total - BUNDLED_PAIRS} pairs (rc {load.returncode}): "
          f"{len(every)} reads, {len(errors)} errors ({locked} \"locked\"), answers from the old data "
          f"{versions['old']}, from the new {versions['new']}; all: p50 {percentile(every, 0.5):.0f} ms, "
          f"p99 {percentile(every, 0.99):.0f} ms, max {every[-1] * 1000:.0f} ms")
    for name, values in sorted(latencies.items()):
        values.sort()
        print(f"  {name}: {len(values)} reads, p50 {percentile(values, 0.5):.0f} ms, "
              f"p99 {percentile(values, 0.99):.0f} ms, max {values[-1] * 1000:.0f} ms")
    for e in errors[:5]:
        print("  " + e)
    if load.returncode != 0:
        print("  load: " + load_err.decode(errors="replace").strip()[:500])
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
