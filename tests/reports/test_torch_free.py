"""`reports/` and the oracle must work where torch is not installed."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import reports


def test_reports_and_oracle_import_no_torch():
    code = (
        "import sys, reports.summary, benchmarks.nb201.oracle, benchmarks.registry.catalog;"
        "from benchmarks.nb201.oracle import default_oracle;"
        "default_oracle().query(1835, dataset='cifar10', split='test');"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_reports_module_and_a_whole_report_need_no_torch(tmp_path):
    modules = sorted(f"reports.{m.name}" for m in pkgutil.iter_modules(reports.__path__))
    assert {"reports.runs", "reports.collapse", "reports.build", "reports.plots", "reports.published"} <= set(modules)
    code = (
        "import importlib, sys, pathlib;"
        f"[importlib.import_module(m) for m in {modules!r}];"
        "from tests.reports.store_folder import write_results;"
        "from reports.build import write_report;"
        f"root = pathlib.Path({str(tmp_path)!r});"
        "write_report(write_results(root / 'runs'), root / 'report');"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    root = Path(__file__).resolve().parents[2]  # `tests.reports.store_folder` is imported from the repository
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=root)
    assert (tmp_path / "report" / "index.html").is_file()
