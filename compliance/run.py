"""Run the Python Array API standard's test suite against npflow and record the results.

    python compliance/run.py PATH/TO/array-api-tests [--max-examples 200] [--version 2025.12]

PATH is a checkout of data-apis/array-api-tests with its ``array-api`` spec
repository as the ``array-api`` folder, at the commit the suite names (``git ls-tree
HEAD array-api``), kept outside this project: never commit either. The suite needs its
own requirements (``pip install -r PATH/requirements.txt``: pytest-json-report,
ndindex). Options before PATH; pytest's after ``--`` (e.g. ``-- --hypothesis-seed=N``,
recorded in RESULTS.md). The run writes ``compliance/RESULTS.md``: the suite's and the spec's
commits, the date, max-examples, and passed/failed/skipped/errors per test file,
then the failing tests. ``compliance/skips.txt`` (one test id per line, each
with a ``# reason``; only tests that array-api-strict fails too) is passed to the suite's
--skips-file, without the reasons, when it has entries.
"""
import argparse
import collections
import datetime
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))


def git_head(path):
    try:
        return subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"


def skip_ids():
    """(test id, reason) for each entry of compliance/skips.txt: lines ``ID  # reason``."""
    path = os.path.join(HERE, "skips.txt")
    ids = []
    for n, line in enumerate(open(path) if os.path.exists(path) else (), 1):
        test, _, reason = line.rstrip("\n").partition("  # ")
        if not test.strip() or test.startswith("#"):
            continue
        if not reason.strip():
            raise SystemExit(f"compliance/skips.txt:{n}: no '  # reason' for {test.strip()}")
        ids.append((test.strip(), reason.strip()))
    return ids


def run_suite(suite, max_examples, version, extra):
    env = dict(os.environ, ARRAY_API_TESTS_MODULE="npflow", ARRAY_API_TESTS_VERSION=version)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(HERE), env.get("PYTHONPATH", "")])
    junit = os.path.join(tempfile.mkdtemp(), "junit.xml")
    cmd = [sys.executable, "-m", "pytest", os.path.join(suite, "array_api_tests"), "-q", "-p", "no:cacheprovider",
           f"--max-examples={max_examples}", f"--junitxml={junit}", "-o", "junit_family=xunit2",
           "--continue-on-collection-errors"]
    ids = [i for i, _ in skip_ids()]
    if ids:
        plain = os.path.join(os.path.dirname(junit), "skips.txt")
        with open(plain, "w") as f:
            f.write("".join(i + "\n" for i in ids))
        cmd.append(f"--skips-file={plain}")
    cmd += extra
    proc = subprocess.run(cmd, cwd=suite, env=env)
    return junit, proc.returncode


def tally(junit):
    per_file = collections.defaultdict(collections.Counter)
    failing = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        # classname: package.test_module[.TestClass]; a collection error has none: its name is
        # the module's dotted path
        parts = (case.get("classname") or case.get("name", "")).split(".")
        name = next((p for p in parts if p.startswith("test_")), parts[-1]) + ".py"
        kinds = {child.tag for child in case}
        outcome = ("failed" if "failure" in kinds else "errors" if "error" in kinds
                   else "skipped" if "skipped" in kinds else "passed")
        per_file[name][outcome] += 1
        if outcome in ("failed", "errors"):
            failing.append(f"{name}::{case.get('name')}")
    return per_file, failing


def write_results(per_file, failing, suite, max_examples, version, extra=()):
    cols = ("passed", "failed", "errors", "skipped")
    total = collections.Counter()
    rows = []
    for name in sorted(per_file):
        c = per_file[name]
        total.update(c)
        rows.append(f"| {name} | " + " | ".join(str(c[k]) for k in cols) + " |")
    lines = [
        "# Array API compliance",
        "",
        f"Written by `python compliance/run.py` on {datetime.date.today().isoformat()}: "
        f"array-api-tests {git_head(suite)[:12]}, spec {git_head(os.path.join(suite, 'array-api'))[:12]}, "
        f"API version {version}, `--max-examples={max_examples}`"
        + "".join(f" `{a}`" for a in extra) + ".",
        "",
        f"**Total: {total['passed']} passed, {total['failed']} failed, {total['errors']} errors, "
        f"{total['skipped']} skipped.**",
        "",
        "| test file | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
        *rows,
        "",
    ]
    if failing:
        lines += ["## Failing tests", ""] + [f"- `{t}`" for t in failing] + [""]
    skips = skip_ids()
    if skips:
        lines += ["## Skipped by compliance/skips.txt (array-api-strict fails these too)", ""]
        lines += [f"- `{t.split('/')[-1]}`: {reason}" for t, reason in skips] + [""]
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite", help="path to an array-api-tests checkout (with its array-api folder)")
    ap.add_argument("--max-examples", type=int, default=200)
    ap.add_argument("--version", default="2025.12")
    ap.add_argument("pytest_args", nargs="*", help="more arguments for pytest (after --)")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.suite, "array_api_tests")):
        ap.error(f"{args.suite} is not an array-api-tests checkout (no array_api_tests/ folder)")
    junit, _ = run_suite(args.suite, args.max_examples, args.version, args.pytest_args)
    per_file, failing = tally(junit)
    total = write_results(per_file, failing, args.suite, args.max_examples, args.version, args.pytest_args)
    print(f"compliance: {total['passed']} passed, {total['failed']} failed, {total['errors']} errors, "
          f"{total['skipped']} skipped; written to compliance/RESULTS.md")
    return 0 if total["failed"] == 0 and total["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
