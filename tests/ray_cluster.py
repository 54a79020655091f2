"""A two-node Ray cluster on loopback addresses, run inside a private network namespace (`unshare -n`).

Ray's GCS and raylets listen on every interface whatever --node-ip-address says (measured: `ss -ltnp` shows
`*:PORT` for gcs_server and raylet), so these test and benchmark clusters run where the only interface is
loopback. The head is 127.0.0.2 and the worker node 127.0.0.3 (the whole 127/8 is loopback on Linux).

    unshare -n python tests/ray_cluster.py OUT CORPUS [--kill-worker] [--bench]

It starts the cluster, runs `policyqa index` and `policyqa summarize` through it (killing the worker node
once, mid-summarize, with --kill-worker; then summarizing again into the same file to show it resumes), stops
the cluster by process group, and writes OUT/cluster.json with what happened. The caller compares outputs.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RAY = str(Path(sys.executable).parent / "ray")
HEAD, WORKER, PORT = "127.0.0.2", "127.0.0.3", 6391
ADDRESS = f"{HEAD}:{PORT}"
NODE_FLAGS = ["--num-cpus=1", "--object-store-memory=100000000", "--disable-usage-stats", "--block"]
ENV = os.environ | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
"""Token authentication on every node and driver, with a token of this run (not ~/.ray/auth_token)."""


def _start(args: list[str], log: Path) -> subprocess.Popen:
    """`ray start ... --block` in its own session: its process group is the node (raylet and workers)."""
    return subprocess.Popen(
        [RAY, "start", *args, *NODE_FLAGS],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=ENV,
    )


def _wait_port(host: str, port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on {host}:{port}")


def _alive_nodes() -> int:
    code = (
        f"import ray; ray.init(address={ADDRESS!r}, _node_ip_address={HEAD!r}, logging_level='error');"
        "print(sum(n['Alive'] for n in ray.nodes()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=ENV)
    return int(out.stdout.strip() or 0)


def _stop(proc: subprocess.Popen) -> list[int]:
    """Stop one node: SIGTERM to its `ray start --block` process, then SIGKILL to what is left of its
    process tree; returns the PIDs still alive after that (none, normally)."""
    pids = _node_pids(proc.pid)
    _kill([proc.pid], signal.SIGTERM)
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        pass
    _kill(pids, signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(1)
    alive = {pid for pid, _, _ in _processes()}
    return [pid for pid in pids if pid in alive]


def _policyqa(*args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "embed", "-v", *args, "--ray", ADDRESS],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        env=ENV,
    )


def _processes() -> list[tuple[int, int, str]]:
    ps = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    rows = []
    for line in ps.splitlines():
        pid, ppid, args = (line.split(None, 2) + [""])[:3]
        rows.append((int(pid), int(ppid), args))
    return rows


def _node_pids(root: int) -> list[int]:
    """`root` and all its descendants: Ray starts task workers in process groups of their own."""
    rows = _processes()
    pids, grew = {root}, True
    while grew:
        more = {pid for pid, ppid, _ in rows if ppid in pids} - pids
        pids |= more
        grew = bool(more)
    return sorted(pids)


def _kill(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _wait_for_task(root: int, title: str, proc: subprocess.Popen, timeout: float = 300) -> str | None:
    """The title of a process under `root` running `title`, once one is; None if `proc` ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        node = set(_node_pids(root))
        for pid, _, args in _processes():
            if pid in node and args.startswith(title):
                return args
        time.sleep(0.02)
    return None


def main(out: Path, corpus: list[str], kill_worker: bool) -> dict:
    """Run the cluster session; returns what happened (also written to OUT/cluster.json)."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    temp = tempfile.mkdtemp(prefix="pqray-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    report: dict = {"address": ADDRESS}
    head = _start(["--head", f"--node-ip-address={HEAD}", f"--port={PORT}", f"--temp-dir={temp}",
                   "--include-dashboard=false"], out / "head.log")  # fmt: skip
    worker = None
    try:
        _wait_port(HEAD, PORT)
        worker = _start([f"--address={ADDRESS}", f"--node-ip-address={WORKER}"], out / "worker.log")
        deadline = time.monotonic() + 120
        while (alive := _alive_nodes()) < 2 and time.monotonic() < deadline:
            time.sleep(1)
        report["nodes_at_start"] = alive
        start = time.perf_counter()
        index = _policyqa("index", *corpus, "--index-dir", str(out / "ray_idx"), log=out / "index.log")
        report["index_stdout"], _ = index.communicate(timeout=900)
        report["index_rc"], report["index_s"] = index.returncode, time.perf_counter() - start
        summary = out / "ray_summaries.jsonl"
        start = time.perf_counter()
        run = _policyqa("summarize", *corpus, "-o", str(summary), log=out / "summarize.log")
        if kill_worker:
            # Kill the node while one of its worker processes runs a summarizing task (Ray titles a
            # busy worker process "ray::FUNCTION"), so that task is lost and must be run again.
            report["killed_during"] = _wait_for_task(worker.pid, "ray::_summarize_block", run)
            report["running_at_kill"] = run.poll() is None
            report["killed_pids"] = _node_pids(worker.pid)
            _kill(report["killed_pids"], signal.SIGKILL)  # the node dies at once: raylet and its workers
            worker.wait(timeout=30)
        run.communicate(timeout=900)
        report["summarize_rc"], report["summarize_s"] = run.returncode, time.perf_counter() - start
        report["summarize_report"] = _last_json(out / "summarize.log")
        again = _policyqa("summarize", *corpus, "-o", str(summary), log=out / "resume.log")
        again.communicate(timeout=900)
        report["resume_rc"], report["resume_report"] = again.returncode, _last_json(out / "resume.log")
    finally:
        report["left_running"] = [pid for proc in (worker, head) if proc is not None for pid in _stop(proc)]
        shutil.rmtree(temp, ignore_errors=True)  # the session's logs and sockets
    (out / "cluster.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return report


def _last_json(log: Path) -> dict | None:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


if __name__ == "__main__":
    out_dir, *rest = sys.argv[1:]
    paths = [a for a in rest if not a.startswith("--")]
    main(Path(out_dir), paths, kill_worker="--kill-worker" in rest)
