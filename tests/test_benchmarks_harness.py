"""Tests of the benchmark harness with fake cases and a fake clock.

Nothing here asserts a speed: the "durations" are advanced on a fake clock by
the fake thunks, so medians, ratios and targets are known exactly.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) may not put the repo root on the path
    sys.path.insert(0, str(ROOT))

from benchmarks import harness, run  # noqa: E402
from benchmarks.harness import Case, PeerUnavailable  # noqa: E402

# Timing at a fixed thread count needs threadpoolctl, a benchmark-only dependency: without it these skip.
needs_threadpoolctl = pytest.mark.skipif(
    importlib.util.find_spec("threadpoolctl") is None,
    reason="needs threadpoolctl (the 'bench' extra: pip install -e \".[bench]\")",
)


class FakeClock:
    """A clock that only moves when a fake thunk says how long it took."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[str] = []

    def __call__(self) -> float:
        return self.now

    def factory(self, name: str, durations: list[float]):
        """A factory whose thunk's k-th call (warm-up calls included) takes ``durations[k]``."""

        def make():
            remaining = iter(durations)

            def thunk():
                self.calls.append(name)
                self.now += next(remaining)

            return thunk

        return make


def _measure(case: Case, clock: FakeClock, repeat: int, warmup: int = 1) -> harness.CaseResult:
    return harness.measure_case(case, repeat=repeat, warmup=warmup, clock=clock)


# --------------------------------------------------------------------------- statistics and targets


@pytest.mark.parametrize(
    ("target", "ours_s", "peer_s", "met"),
    [
        (("speedup>=", 2.0), 1.0, 2.0, True),  # exactly on the boundary counts as met
        (("speedup>=", 2.0), 1.0, 1.9, False),
        (("ratio<=", 2.0), 4.0, 2.0, True),
        (("ratio<=", 2.0), 4.1, 2.0, False),
        (("ratio<=", 0.5), 1.0, 3.0, True),
    ],
)
def test_evaluate_target(target, ours_s, peer_s, met):
    assert harness.evaluate_target(target, ours_s, peer_s) is met


# --------------------------------------------------------------------------- Case validation


def _noop_factory():
    return lambda: None


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"targets": {"torch": ("ratio<=", 2.0)}}, ValueError, ["'torch'", "not in peers"]),
        ({"peers": {"p": _noop_factory}, "targets": {"p": ("faster", 2.0)}}, ValueError, ["'faster'", "speedup>="]),
        ({"peers": {"p": _noop_factory}, "targets": {"p": ("ratio<=", 0.0)}}, ValueError, ["k > 0", "0.0"]),
        ({"peers": {"p": _noop_factory}, "targets": {"p": ("ratio<=", "2")}}, TypeError, ["number", "'2'"]),
        ({"peers": {"ours": _noop_factory}}, ValueError, ["'ours'", "reserved"]),
        ({"peers": {"p": 3}}, TypeError, ["'p'", "factory"]),
        ({"name": "two words"}, ValueError, ["'two words'", "whitespace"]),
    ],
)
def test_case_rejects_bad_definitions(kwargs, error, words):
    fields = {"name": "c", "description": "d", "ours": _noop_factory, **kwargs}
    with pytest.raises(error) as info:
        Case(**fields)
    for word in words:
        assert word in str(info.value)


# --------------------------------------------------------------------------- measuring


def test_medians_ratio_and_target_from_timed_calls_only():
    clock = FakeClock()
    ours_timed = [0.005, 0.001, 0.009, 0.003, 0.007]
    peer_timed = [0.030, 0.010, 0.020, 0.050, 0.040]
    case = Case(
        "c", "d",
        ours=clock.factory("ours", [99.0] + ours_timed),  # the huge warm-up call must not count
        peers={"fast": clock.factory("fast", [99.0] + peer_timed)},
        targets={"fast": ("speedup>=", 2.0)},
    )
    result = _measure(case, clock, repeat=5)

    assert result.ours.runs_s == pytest.approx(ours_timed)
    (row,) = result.comparisons
    expected_ours, expected_peer = statistics.median(ours_timed), statistics.median(peer_timed)
    assert row.measurement.median_s == pytest.approx(expected_peer)
    assert row.ratio == pytest.approx(expected_ours / expected_peer)
    assert row.speedup == pytest.approx(expected_peer / expected_ours)
    assert row.met is (expected_peer / expected_ours >= 2.0)


def test_unmet_target_is_reported_as_no():
    clock = FakeClock()
    case = Case(
        "c", "d",
        ours=clock.factory("ours", [0.0] + [0.010] * 3),
        peers={"p": clock.factory("p", [0.0] + [0.004] * 3)},
        targets={"p": ("ratio<=", 2.0)},  # ours/peer = 2.5
    )
    (row,) = _measure(case, clock, repeat=3).comparisons
    assert row.met is False
    assert "**no**" in harness.render_table([_measure(case, clock, repeat=3)])


def test_timed_calls_are_interleaved_round_robin_with_rotating_start():
    clock = FakeClock()
    case = Case(
        "c", "d",
        ours=clock.factory("ours", [0.001] * 4),
        peers={"a": clock.factory("a", [0.001] * 4), "b": clock.factory("b", [0.001] * 4)},
    )
    _measure(case, clock, repeat=3)
    warmups, timed = clock.calls[:3], clock.calls[3:]
    assert sorted(warmups) == ["a", "b", "ours"]
    rounds = [timed[i: i + 3] for i in range(0, len(timed), 3)]
    assert len(rounds) == 3 and all(sorted(r) == ["a", "b", "ours"] for r in rounds)
    assert [r[0] for r in rounds] == ["ours", "a", "b"]  # each goes first once


def test_gc_is_collected_and_disabled_during_timed_calls_then_restored():
    seen = []

    def factory():
        return lambda: seen.append(gc.isenabled())

    case = Case("c", "d", ours=factory)
    assert gc.isenabled()
    harness.measure_case(case, repeat=3, warmup=1)
    assert seen == [True, False, False, False]  # the warm-up runs with gc as it was
    assert gc.isenabled()

    seen.clear()
    harness.measure_case(case, repeat=2, warmup=1, disable_gc=False)
    assert seen == [True, True, True]


def test_unavailable_peers_become_install_notes_and_ours_is_still_timed():
    clock = FakeClock()

    def missing_via_hint():
        raise PeerUnavailable("pip install fakepeer")

    def missing_via_import():
        import fakepeer_that_does_not_exist  # noqa: F401

    case = Case(
        "c", "d",
        ours=clock.factory("ours", [0.0, 0.002, 0.002]),
        peers={"fakepeer": missing_via_hint, "micrograd": missing_via_import},
        targets={"fakepeer": ("speedup>=", 2.0)},
    )
    result = _measure(case, clock, repeat=2)
    assert result.ours.ok and result.ours.median_s == pytest.approx(0.002)
    hinted, imported = result.comparisons
    assert hinted.measurement.status == "unavailable"
    assert hinted.measurement.note == "not installed: pip install fakepeer"
    assert hinted.met is None and hinted.ratio is None
    assert imported.measurement.status == "unavailable"
    assert imported.measurement.note.startswith("not installed: pip install micrograd")  # known peer's hint
    assert "fakepeer_that_does_not_exist" in imported.measurement.note

    table = harness.render_table([result])
    assert "not installed: pip install fakepeer" in table
    assert "| n/a" in table


def test_erroring_peers_are_notes_not_crashes():
    clock = FakeClock()

    def breaks_in_setup():
        raise RuntimeError("setup exploded")

    def breaks_when_timed():
        calls = iter([None, None])  # warm-up and first timed call pass, the second raises

        def thunk():
            if next(calls, "boom") == "boom":
                raise ZeroDivisionError("midway")

        return thunk

    case = Case(
        "c", "d",
        ours=clock.factory("ours", [0.0] + [0.001] * 3),
        peers={
            "setup": breaks_in_setup,
            "midway": breaks_when_timed,
            "fine": clock.factory("fine", [0.0] + [0.003] * 3),
        },
    )
    result = _measure(case, clock, repeat=3)
    notes = {row.peer: row.measurement for row in result.comparisons}
    assert notes["setup"].status == "error" and "RuntimeError: setup exploded" in notes["setup"].note
    assert notes["midway"].status == "error" and "ZeroDivisionError: midway" in notes["midway"].note
    assert notes["fine"].ok and len(notes["fine"].runs_s) == 3
    assert result.ours.ok and len(result.ours.runs_s) == 3


def test_factory_returning_a_non_callable_is_an_error_note():
    case = Case("c", "d", ours=lambda: 42)
    result = harness.measure_case(case, repeat=1, warmup=1)
    assert result.ours.status == "error" and "int" in result.ours.note


@pytest.mark.parametrize(("repeat", "warmup", "error"), [(0, 1, ValueError), (3, 0, ValueError), (2.5, 1, TypeError)])
def test_measure_case_rejects_bad_counts(repeat, warmup, error):
    with pytest.raises(error, match="repeat|warmup"):
        harness.measure_case(Case("c", "d", ours=_noop_factory), repeat=repeat, warmup=warmup)


# --------------------------------------------------------------------------- table and JSON


def _report(clock: FakeClock) -> harness.Report:
    cases = [
        Case(
            "two_peers", "d",
            ours=clock.factory("ours", [0.0] + [0.002] * 3),
            peers={
                "p|q": clock.factory("p", [0.0] + [0.008] * 3),
                "gone": _raises(PeerUnavailable("pip install gone")),
            },
            targets={"p|q": ("speedup>=", 3.0)},
        ),
        Case("alone", "no peers", ours=clock.factory("ours", [0.0] + [0.004] * 3)),
    ]
    return harness.run_benchmarks(cases, repeat=3, warmup=1, clock=clock, threads=(None,))


def _raises(exc):
    def factory():
        raise exc

    return factory


def test_table_has_one_row_per_case_and_peer():
    table = _report(FakeClock()).to_markdown()
    lines = table.strip().splitlines()[2:]  # after the heading and a blank line
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == list(harness.COLUMNS)
    body = lines[2:]
    assert len(body) == 3  # two_peers x 2 peers, alone x 1
    assert all(line.startswith("|") and line.endswith("|") for line in lines)
    assert all(line.count(" | ") == len(harness.COLUMNS) - 1 for line in body)  # pipes in cells are escaped
    assert "p\\|q" in body[0] and "speedup >= 3" in body[0]
    assert "not installed: pip install gone" in body[1]
    assert body[2].startswith("| alone")


def test_json_holds_the_same_figures_and_the_machine():
    report = _report(FakeClock())
    doc = json.loads(json.dumps(report.to_json()))  # serialisable as is

    assert doc["settings"]["repeat"] == 3 and doc["settings"]["warmup"] == 1
    machine = doc["machine"]
    for key in ("platform", "python", "numpy", "cpu_model", "cpu_count"):
        assert key in machine
    assert set(machine["env"]) >= {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}
    assert "timestamp" in doc and "git_commit" in doc["code"]

    (table,) = doc["tables"]
    first = table["cases"][0]
    assert first["case"] == "two_peers"
    assert first["ours"]["median_ms"] == pytest.approx(2.0)
    peer = first["peers"][0]
    assert peer["median_ms"] == pytest.approx(8.0)
    assert peer["ratio_ours_over_peer"] == pytest.approx(0.25)
    assert peer["speedup_peer_over_ours"] == pytest.approx(4.0)
    assert peer["target"] == {"kind": "speedup>=", "k": 3.0} and peer["met"] is True
    assert first["peers"][1]["status"] == "unavailable" and first["peers"][1]["median_ms"] is None
    assert table["cases"][1]["peers"] == []
    assert harness.markdown_from_json(doc) == report.to_markdown()  # the README's table can be redrawn


# --------------------------------------------------------------------------- finding cases and the CLI

CASE_FILE = textwrap.dedent(
    """
    from benchmarks.harness import Case

    def _ours():
        return lambda: sum(range(10))

    CASES = [
        Case("tiny_sum", "sum of ten ints", ours=_ours),
        Case("tiny_sum_again", "the same", ours=_ours),
    ]
    """
)


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "try_cases.py"
    path.write_text(CASE_FILE)
    return path


def test_select_cases_keeps_order_and_names_unknown_ones():
    a, b = Case("a", "", ours=_noop_factory), Case("b", "", ours=_noop_factory)
    assert harness.select_cases([a, b], []) == [a, b]
    assert harness.select_cases([a, b], ["b", "a", "b"]) == [b, a]
    with pytest.raises(ValueError, match=r"unknown case 'zzz'; known cases: a, b"):
        harness.select_cases([a, b], ["a", "zzz"])


def test_collect_cases_rejects_duplicates_and_missing_cases():
    class Module:
        def __init__(self, name, cases):
            self.__name__, self.CASES = name, cases

    one = Case("same", "", ours=_noop_factory)
    with pytest.raises(ValueError, match="'same'.*m1.*m2"):
        harness.collect_cases([Module("m1", [one]), Module("m2", [one])])
    with pytest.raises(TypeError, match="CASES"):
        harness.collect_cases([Module("m3", None)])


def test_discover_cases_imports_public_modules_of_a_package(tmp_path, monkeypatch):
    package = tmp_path / "fake_bench_cases"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "topic.py").write_text(CASE_FILE)
    (package / "_helpers.py").write_text("raise RuntimeError('private modules are not imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    names = [c.name for c in harness.discover_cases("fake_bench_cases")]
    assert names == ["tiny_sum", "tiny_sum_again"]


def test_cli_unknown_case_exits_2_naming_it_and_the_known_ones(case_file, capsys):
    with pytest.raises(SystemExit) as info:
        run.main(["--case-file", str(case_file), "no_such_case"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "no_such_case" in err and "tiny_sum, tiny_sum_again" in err


def test_cli_list(case_file, capsys):
    assert run.main(["--case-file", str(case_file), "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["tiny_sum", "tiny_sum_again"]


@needs_threadpoolctl
def test_cli_runs_named_case_prints_table_and_writes_json(case_file, tmp_path, capsys):
    out_json = tmp_path / "deep" / "bench.json"
    code = run.main(["--case-file", str(case_file), "--only", "tiny_sum", "--repeat", "3", "--json", str(out_json),
                     "--threads", "1"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "### one thread" and out.splitlines()[2].startswith("| case")
    assert "tiny_sum " in out and "tiny_sum_again" not in out
    doc = json.loads(out_json.read_text())
    (table,) = doc["tables"]
    assert table["threads"] == 1
    assert [c["case"] for c in table["cases"]] == ["tiny_sum"]
    assert len(table["cases"][0]["ours"]["runs_ms"]) == 3
    alone = table["cases"][0]["ours_alone"]  # ours again, in a fresh interpreter
    assert alone["status"] == "ok" and len(alone["runs_ms"]) == 3 and alone["minor_faults_per_call"] is not None
    assert doc["settings"]["alone"].startswith("ours also timed in a fresh interpreter")
    assert out.splitlines()[4].rstrip(" |").endswith(f"{alone['minor_faults_per_call']:g}")  # the last column
    assert run.main(["--from-json", str(out_json)]) == 0
    assert capsys.readouterr().out == out


PEER_IMPORTING_CASE = textwrap.dedent(
    """
    import sys, types
    from benchmarks.harness import Case

    def _ours():
        sys.modules["micrograd"] = types.ModuleType("micrograd")  # as if our side had imported a peer
        return lambda: None

    def _clean():
        return lambda: None

    CASES = [Case("imports_a_peer", "d", ours=_ours), Case("clean", "d", ours=_clean)]
    """
)


@needs_threadpoolctl
def test_ours_alone_is_timed_where_no_peer_was_imported(tmp_path):
    from benchmarks.alone import measure_alone

    path = tmp_path / "peer_cases.py"
    path.write_text(PEER_IMPORTING_CASE)
    dirty, clean = harness.load_case_file(path)
    kwargs = {"repeat": 2, "warmup": 1, "disable_gc": True, "clock": time.thread_time, "threads": 1,
              "case_files": [path]}
    refused = measure_alone(dirty, **kwargs)
    assert refused.status == "error" and "imported micrograd on our side" in refused.note
    ok = measure_alone(clean, **kwargs)
    assert ok.status == "ok" and len(ok.runs_s) == 2 and len(ok.minor_faults) == 2
    broken = measure_alone(Case("not_in_the_file", "d", ours=_noop_factory), **kwargs)
    assert broken.status == "error" and "fresh interpreter" in broken.note


@needs_threadpoolctl
def test_cli_no_alone_skips_the_fresh_interpreter(case_file, tmp_path, capsys):
    out_json = tmp_path / "bench.json"
    assert run.main(["--case-file", str(case_file), "--only", "tiny_sum", "--repeat", "2", "--json", str(out_json),
                     "--threads", "1", "--no-alone"]) == 0
    doc = json.loads(out_json.read_text())
    assert doc["tables"][0]["cases"][0]["ours_alone"] is None and doc["settings"]["alone"] == "not measured"
    capsys.readouterr()


@needs_threadpoolctl
def test_cli_clock_cpu_times_with_the_threads_cpu_time(case_file, tmp_path, capsys):
    out_json = tmp_path / "cpu.json"
    code = run.main(["--case-file", str(case_file), "--only", "tiny_sum", "--repeat", "3", "--json", str(out_json),
                     "--threads", "1", "--clock", "cpu"])
    assert code == 0
    doc = json.loads(out_json.read_text())
    assert doc["settings"]["timer"] == "time.thread_time"
    with pytest.raises(SystemExit):
        run.main(["--clock", "sundial"])


@needs_threadpoolctl
def test_cli_exit_status_1_when_our_contestant_fails(tmp_path, capsys):
    path = tmp_path / "broken.py"
    path.write_text(
        "from benchmarks.harness import Case\n"
        "def _ours():\n    raise RuntimeError('our setup is broken')\n"
        "CASES = [Case('broken', 'd', ours=_ours)]\n"
    )
    assert run.main(["--case-file", str(path), "--json", str(tmp_path / "r.json"), "--threads", "1"]) == 1
    assert "our setup is broken" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["0", "-1", "seven"])
def test_cli_rejects_non_positive_repeat(value, capsys):
    with pytest.raises(SystemExit) as info:
        run.main(["--repeat", value])
    assert info.value.code == 2
    assert value in capsys.readouterr().err


def test_run_py_works_as_a_script_from_the_repo_root(case_file):
    done = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--case-file", str(case_file), "--list"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "tiny_sum"


# --------------------------------------------------------------------------- threads and the machine's limit


def test_every_contestant_is_timed_at_the_thread_count_asked_for(monkeypatch):
    """Warm-up and timed calls of ours and of the peer run inside the thread limit; setup does not."""
    import contextlib

    from benchmarks import timing

    state = {"limit": None}
    seen: dict[str, list] = {"ours": [], "peer": []}

    @contextlib.contextmanager
    def fake_limit(threads):
        state["limit"] = threads
        try:
            yield
        finally:
            state["limit"] = None

    monkeypatch.setattr(timing, "limit_threads", fake_limit)

    def factory(name):
        def make():
            seen[name].append(("setup", state["limit"]))
            return lambda: seen[name].append(("call", state["limit"]))

        return make

    case = Case("c", "d", ours=factory("ours"), peers={"peer": factory("peer")})
    harness.measure_case(case, repeat=2, warmup=1, threads=1)
    for name in ("ours", "peer"):
        assert seen[name] == [("setup", None)] + [("call", 1)] * 3


def test_limit_threads_sets_blas_and_torch_and_restores_them():
    threadpoolctl = pytest.importorskip("threadpoolctl", reason="needs threadpoolctl (the 'bench' extra)")
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    before_torch = torch.get_num_threads()
    before_blas = [p["num_threads"] for p in threadpoolctl.threadpool_info()]
    with harness.limit_threads(1):
        assert torch.get_num_threads() == 1
        assert all(p["num_threads"] == 1 for p in threadpoolctl.threadpool_info())
    assert torch.get_num_threads() == before_torch
    assert [p["num_threads"] for p in threadpoolctl.threadpool_info()] == before_blas


@needs_threadpoolctl
def test_targets_at_all_cores_and_the_machine_limit(monkeypatch):
    from benchmarks import report

    clock = FakeClock()
    case = Case(
        "c", "d",
        ours=clock.factory("ours", [0.0] + [0.012] * 6),
        peers={"p": clock.factory("p", [0.0] + [0.010] * 6)},
        targets={"p": ("ratio<=", 1.0)},
        targets_all_cores={"p": ("ratio<=", 1.5)},
        flops=3e9, dtype="float32",
    )
    monkeypatch.setattr(report, "gemm_rate", lambda dtype: 1e12)  # 1 TFLOP/s: the limit is 3 ms
    monkeypatch.setattr(report, "all_cores", lambda: 2)
    doc = harness.run_benchmarks([case], repeat=3, clock=clock, threads=(1, 2)).to_json()
    one, every = doc["tables"]
    assert (one["label"], every["label"]) == ("one thread", "all cores (2 threads)")
    assert one["cases"][0]["peers"][0]["met"] is False  # 1.2 > 1.0
    assert every["cases"][0]["peers"][0]["met"] is True  # 1.2 <= 1.5
    assert one["cases"][0]["limit_ms"] == pytest.approx(3.0)
    assert one["cases"][0]["ours_over_limit"] == pytest.approx(4.0)
    assert one["numpy_gemm_gflops"] == {"float32": 1000.0}


@needs_threadpoolctl
def test_json_records_the_blas_library():
    blas = [pool for pool in harness.machine_info()["blas"] if pool["user_api"] == "blas"]
    assert blas and all(pool["version"] and pool["threading_layer"] for pool in blas)


def test_cli_thread_list_reads_all_as_every_usable_core():
    cores = harness.all_cores()
    assert run._thread_list("1") == [1]
    assert run._thread_list("1,all") == list(dict.fromkeys([1, cores]))
    assert run._thread_list("2,2,1") == [2, 1]


def test_scaling_table_and_figure_from_a_sweep(tmp_path):
    """The sweep's table and figure are drawn from its JSON (made-up points: nothing is timed here)."""
    pytest.importorskip("matplotlib")
    from benchmarks import scaling

    points = [{"workload": w, "axis": "batch", "value": b, "batch": b, "size": 28,
               "ours_ms_per_sample": 2.0 / b, "pytorch_ms_per_sample": 1.0 / b}
              for w in scaling.WORKLOADS for b in scaling.BATCHES]
    points += [{"workload": w, "axis": "size", "value": s, "batch": 16, "size": s,
                "ours_ms_per_sample": s / 8, "pytorch_ms_per_sample": None, "pytorch_note": "not installed"}
               for w in scaling.WORKLOADS for s in scaling.SIZES]
    doc = {"points": points}
    table = scaling.markdown(doc).splitlines()
    assert len(table) == 2 + len(points)
    assert table[2] == "| conv2d | 1 | 28 | 2 | 1 | 2.00 |"  # ours/PyTorch = 2.0 / 1.0
    assert table[-1].endswith("| 8 |  |  |")  # no PyTorch figure: empty cells, no ratio
    path = scaling.plot(doc, tmp_path / "scaling.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- page faults per timed call


@pytest.mark.skipif(importlib.util.find_spec("resource") is None,
                    reason="page faults are counted with the Unix-only resource module")
def test_page_faults_of_each_timed_call_are_in_the_json_and_the_table():
    """Minor/major page faults per timed call from getrusage deltas (real counts, not a fake: no threads asked,
    so threadpoolctl is not needed). A thunk that writes to freshly mapped pages faults on each call."""

    def fresh_pages():
        import mmap

        def touch() -> None:  # a new anonymous mapping each call, one byte written per page: fresh pages
            with mmap.mmap(-1, 1 << 20) as pages:
                for offset in range(0, len(pages), mmap.PAGESIZE):
                    pages[offset] = 1

        return touch

    def nothing():
        return lambda: None

    case = Case("faults", "d", ours=fresh_pages, peers={"idle": nothing})
    result = harness.measure_case(case, repeat=3, warmup=1)
    assert len(result.ours.minor_faults) == len(result.ours.major_faults) == 3
    assert all(isinstance(n, int) and n >= 0 for n in result.ours.minor_faults + result.ours.major_faults)
    doc = json.loads(json.dumps(result.to_json()))
    ours, idle = doc["ours"], doc["peers"][0]
    assert ours["minor_faults_runs"] == result.ours.minor_faults
    assert ours["minor_faults_per_call"] == statistics.median(result.ours.minor_faults)
    assert ours["minor_faults_per_call"] >= 1 and ours["minor_faults_per_call"] > idle["minor_faults_per_call"]
    assert idle["major_faults_per_call"] is not None
    header = [cell.strip() for cell in harness.render_table([result]).splitlines()[0].strip("|").split("|")]
    row = [cell.strip() for cell in harness.render_table([result]).splitlines()[2].strip("|").split("|")]
    cell = row[header.index("page faults/call ours / peer")]
    assert cell.startswith(f"{ours['minor_faults_per_call']:g}") and " / " in cell
    old = {**doc, "ours": {k: v for k, v in ours.items() if "faults" not in k}, "peers": []}
    from benchmarks.report import render_rows

    assert render_rows([old]).splitlines()[2].strip("|").split("|")[-1].strip() == ""  # an older JSON: empty
