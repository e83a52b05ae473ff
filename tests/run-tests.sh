#!/bin/sh
# run-tests.sh - run every suite and print one summary line.
#   sh tests/run-tests.sh BUILD_DIR SANITIZER_BUILD_DIR
# Unit tests (cmocka) run from both builds. Script suites (tests/*/*.t,
# any executable that prints TAP lines "ok ..." / "not ok ...") run on the
# sanitizer build: POPGATED, POPGATE_DUMP and POPGATE_BUILD point at it.
# TESTS=pattern limits the suites run (shell glob on the file name).
# Python suites import their helpers from tests/lib (PYTHONPATH).
set -u
plain=${1:-build}
san=${2:-build/san}
top=$(pwd)
passed=0
failed=0
failures=""
pattern=${TESTS:-*}
log=$(mktemp)

count_cmocka() {	# $1 = output file
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$1" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$1" | tail -n 1)
	echo "${p:-0} ${f:-0}"
}

for dir in "$plain" "$san"; do
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		case $(basename "$t") in $pattern) ;; *) continue ;; esac
		echo "=== unit $(basename "$t") ($dir)"
		"$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		set -- $(count_cmocka "$log")
		passed=$((passed + $1))
		failed=$((failed + $2))
		if [ "$rc" -ne 0 ] && [ "$2" -eq 0 ]; then
			failed=$((failed + 1))	# crashed before its summary
		fi
		[ "$rc" -eq 0 ] || failures="$failures $(basename "$t")($dir)"
	done
done

export POPGATED="$top/$san/popgated" POPGATE_DUMP="$top/$san/popgate-dump"
export POPGATE_BUILD="$top/$san" POPGATE_TOP="$top"
export PYTHONPATH="$top/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for t in tests/*/*.t; do
	[ -x "$t" ] || continue
	case $(basename "$t") in $pattern) ;; *) continue ;; esac
	echo "=== suite $t"
	start=$(date +%s)
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok' "$log")
	f=$(grep -c '^not ok' "$log")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		failed=$((failed + 1))
		echo "not ok - $t exited $rc"
	fi
	[ "$rc" -eq 0 ] || failures="$failures $t"
	echo "=== $t: $p passed, $f failed, $(($(date +%s) - start))s"
done
rm -f "$log"

[ -z "$failures" ] || echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$failures" ]
