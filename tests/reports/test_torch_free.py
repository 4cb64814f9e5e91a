"""`reports/` and the oracle must work where torch is not installed."""

import subprocess
import sys


def test_reports_and_oracle_import_no_torch():
    code = (
        "import sys, reports.summary, benchmarks.nb201.oracle, benchmarks.registry;"
        "from benchmarks.nb201.oracle import default_oracle;"
        "default_oracle().query(1835, dataset='cifar10', split='test');"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
