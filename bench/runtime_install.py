"""The runtime's install, as Install Runtime does it: time from a cold and a warm uv cache, the
size of what is downloaded and of the environment on disk.

Installs offline from a folder of wheels (default .matrix/wheels, which `make matrix` fills with
`pip download` from the pins): this machine reaches PyPI but not PyTorch's CPU index, so the
folder stands in for the download; the download size is the folder's. Runs into a temporary
runtime folder with a temporary uv cache, removed afterwards.

    .venv/bin/python bench/runtime_install.py [--wheels DIR]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from core import runtime  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", default=os.path.join(ROOT, ".matrix", "wheels"))
    args = parser.parse_args()
    if not os.path.isdir(args.wheels):
        sys.exit(f"no wheel folder at {args.wheels}: run `make matrix` first, or pass --wheels")
    tmp = tempfile.mkdtemp(prefix="likeness-bench-runtime-")
    os.environ["UV_CACHE_DIR"] = os.path.join(tmp, "uv-cache")
    try:
        wheels_mb = runtime.folder_size(args.wheels) / 2 ** 20
        print(f"download (the wheel folder): {wheels_mb:.0f} MB")
        for label in ("cold uv cache", "warm uv cache"):
            t0 = time.perf_counter()
            runtime.install(os.path.join(tmp, "runtime"), wheels_dir=args.wheels)
            seconds = time.perf_counter() - t0
            st = runtime.status(os.path.join(tmp, "runtime"))
            venv_mb = runtime.folder_size(os.path.join(tmp, "runtime", "venv")) / 2 ** 20
            print(f"{label}: {seconds:.1f} s (checking the imports included); environment {venv_mb:.0f} MB; "
                  f"Python {st.python_version} ({st.base_python}); {st.state}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
