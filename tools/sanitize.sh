#!/usr/bin/env bash
# The test suite against npflow's C accelerator built with AddressSanitizer and
# UndefinedBehaviorSanitizer. Exits non-zero on a test failure or on any sanitizer report
# (the reports are printed, the logs kept under $SANITIZE_DIR/logs).
#
#   tools/sanitize.sh                       # the whole suite
#   tools/sanitize.sh tests/test_tape.py    # arguments go to pytest
#
# The extension is built by setup.py, which compiles every source of the C accelerator
# (npflow/_core/fastpath/*.c, listed there) into the one module npflow._core._fastpath.
# The build happens in a scratch copy of the working tree (the tracked and untracked,
# not ignored files), so the in-place build of the normal extension is left alone. Python
# objects are allocated with malloc (PYTHONMALLOC=malloc), so that ASan also sees a Python
# object the C code uses after freeing it. An allocation too big fails as it does in a normal
# build (MemoryError: tests/test_bad_input.py asks for huge shapes) instead of aborting.
# Leak detection is off: CPython and NumPy keep
# their allocations until exit by design. Needs gcc (or $CC) with libasan and libubsan.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CC="${CC:-gcc}"
PYTHON="${PYTHON:-python}"
SANITIZE_DIR="${SANITIZE_DIR:-$(mktemp -d /tmp/npflow-sanitize.XXXXXX)}"
TREE="$SANITIZE_DIR/tree"
LOGS="$SANITIZE_DIR/logs"
rm -rf "$TREE" "$LOGS"
mkdir -p "$TREE" "$LOGS"

ASAN_RT="$("$CC" -print-file-name=libasan.so)"
UBSAN_RT="$("$CC" -print-file-name=libubsan.so)"
for rt in "$ASAN_RT" "$UBSAN_RT"; do
    if [ ! -e "$rt" ]; then
        echo "sanitize.sh: $CC has no $(basename "$rt") (install gcc's sanitizer runtimes)" >&2
        exit 2
    fi
done

(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$TREE")
cd "$TREE"
FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
echo "sanitize.sh: building the extension in $TREE with $FLAGS"
CC="$CC" CFLAGS="$FLAGS" LDFLAGS="-fsanitize=address,undefined" \
    "$PYTHON" setup.py -q build_ext --inplace >"$LOGS/build.txt" 2>&1 || { cat "$LOGS/build.txt"; exit 2; }
# optional=True lets a failed compile pass quietly: the module must be there (the copy has none)
ls npflow/_core/_fastpath*.so >/dev/null

# Tests of the process's peak memory (RSS) measure ASan's quarantine of freed memory, not
# npflow: they are left out here (tests/test_leaks.py reads NPFLOW_SANITIZER for its own).
RSS_TESTS=(--deselect tests/test_autodiff.py::test_memory_is_flat_over_10000_gradients)

# A report ends the process with status 86 (halt_on_error); ASan also writes it to $LOGS, and
# pytest leaves the file descriptors alone (--capture=sys), so that UBSan's reports (which
# go to stderr) are seen and logged too, from the test processes' children as well.
set +e
NPFLOW_SANITIZER="address,undefined" \
LD_PRELOAD="$ASAN_RT $UBSAN_RT${LD_PRELOAD:+ $LD_PRELOAD}" \
PYTHONMALLOC=malloc \
ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:halt_on_error=1:exitcode=86:alloc_dealloc_mismatch=0:verify_asan_link_order=0:log_path=$LOGS/asan" \
UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1" \
    "$PYTHON" -m pytest -q -p no:cacheprovider --capture=sys "${RSS_TESTS[@]}" "${@:-tests}" 2>&1 | tee "$LOGS/pytest.txt"
status=${PIPESTATUS[0]}
set -e

# (ASan also logs warnings there, e.g. an allocation too big that returned NULL: only its
# error reports count)
reports=$(grep -l -E "ERROR: AddressSanitizer|runtime error:" "$LOGS"/asan.* 2>/dev/null || true)
if [ -n "$reports" ] || [ "$status" -eq 86 ] || grep -q -E "runtime error:|ERROR: AddressSanitizer" "$LOGS/pytest.txt"; then
    for r in $reports; do echo "==== $r"; cat "$r"; done
    grep -A30 -E "runtime error:|ERROR: AddressSanitizer" "$LOGS/pytest.txt" | head -200
    echo "sanitize.sh: sanitizer reports (above; logs kept in $LOGS)" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    echo "sanitize.sh: pytest failed (status $status); no sanitizer report" >&2
    exit "$status"
fi
echo "sanitize.sh: clean (pytest passed, no sanitizer report)"
rm -rf "$SANITIZE_DIR"
