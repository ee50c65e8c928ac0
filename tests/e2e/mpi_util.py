"""Helpers for the mpirun end-to-end tests: the mpirun command line, runs that can never hang
the suite (the whole process group is killed at the limit), and the process id of each rank
of a running job."""
import os
import pathlib
import shutil
import signal
import subprocess
import threading
import time

MPIRUN = shutil.which("mpirun")
# Ranks oversubscribe the 2 cores; busy-polling ranks would starve each other without yield.
MPI_ARGS = ["--allow-run-as-root", "--oversubscribe", "--mca", "mpi_yield_when_idle", "1"]


def env():
    """The environment for dsinfer under mpirun: one OpenMP thread per rank."""
    e = dict(os.environ)
    e["OMP_NUM_THREADS"] = "1"
    return e


def mpirun_cmd(np, dsinfer, *args):
    return [MPIRUN, *MPI_ARGS, "-np", str(np), dsinfer, *map(str, args)]


class Result:
    def __init__(self, cmd, rc, out, err):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err
        self.all = out + err

    def __repr__(self):
        return (f"command: {' '.join(map(str, self.cmd))}\nexit code: {self.rc}\n"
                f"--- stdout:\n{self.out}\n--- stderr:\n{self.err}")


class Hang(AssertionError):
    pass


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_bounded(cmd, timeout, input=None):
    """Runs cmd in its own process group (stdin: `input`, else none); raises Hang (with the
    output so far) when it is still running after `timeout` seconds, after killing the whole
    group (mpirun and its ranks)."""
    cmd = [str(c) for c in cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env(), start_new_session=True,
                            stdin=subprocess.DEVNULL if input is None else subprocess.PIPE)
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        raise Hang(f"still running after {timeout} s (hang?): {' '.join(cmd)}\n"
                   f"--- stdout:\n{out}\n--- stderr:\n{err}")
    return Result(cmd, proc.returncode, out, err)


def mpirun(np, dsinfer, *args, timeout=60, input=None):
    return run_bounded(mpirun_cmd(np, dsinfer, *args), timeout, input)


class Job:
    """A job in the background whose stdout and stderr are collected as they come."""

    def __init__(self, cmd):
        self.cmd = [str(c) for c in cmd]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env(), start_new_session=True,
                                     stdin=subprocess.DEVNULL)
        self._chunks = {"out": [], "err": []}
        self._lock = threading.Lock()
        self._readers = [threading.Thread(target=self._read, args=(s, k), daemon=True)
                         for s, k in ((self.proc.stdout, "out"), (self.proc.stderr, "err"))]
        for t in self._readers:
            t.start()

    def _read(self, stream, key):
        while True:
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                return
            with self._lock:
                self._chunks[key].append(chunk)

    def text(self, key):
        with self._lock:
            return b"".join(self._chunks[key]).decode("utf-8", "replace")

    def wait_for_stdout(self, min_chars, timeout):
        """True once stdout holds at least min_chars characters; False on timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.text("out")) >= min_chars:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def wait(self, timeout):
        """The exit code, or None (after killing the whole group) when it runs past timeout."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
            _kill_group(self.proc)
            self.proc.wait()
        for t in self._readers:
            t.join(timeout=5)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            _kill_group(self.proc)
            self.proc.wait()


def _children(pid):
    try:
        import psutil
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except ImportError:
        pass
    parent_of = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses.
            parent_of[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
    found, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent_of.items() if pp == p]
        found += kids
        frontier += kids
    return found


def _rank_of(pid):
    try:
        raw = pathlib.Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    for item in raw.split(b"\0"):
        if item.startswith(b"OMPI_COMM_WORLD_RANK="):
            return int(item.split(b"=", 1)[1])
    return None


def rank_pids(mpirun_pid, program, np, timeout=10):
    """{rank: pid} of the processes of `program` (a path) that mpirun_pid started, read from
    OMPI_COMM_WORLD_RANK in their environment; waits until all np ranks are there."""
    name = os.path.basename(program)
    deadline = time.monotonic() + timeout
    while True:
        ranks = {}
        for pid in _children(mpirun_pid):
            try:
                exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
            except OSError:
                continue
            rank = _rank_of(pid) if exe == name else None
            if rank is not None:
                ranks[rank] = pid
        if len(ranks) == np or time.monotonic() > deadline:
            return ranks
        time.sleep(0.05)
