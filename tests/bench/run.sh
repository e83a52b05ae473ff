#!/bin/sh
# run.sh - entry point of `make bench` (after the Makefile built popgated,
# popgate-dump, tests/bin/* and the bench programs in BUILD/bench):
# generates the 2 M-line mail.log (once per generator version), installs postgrey if it can, then runs
# bench.py. Never asserts a time; never touches anything outside BUILD/bench
# and private temp dirs.
#   sh tests/bench/run.sh [BUILD]
set -e
BUILD=${1:-build}
OUT=$BUILD/bench
BENCH_DIR=$(dirname "$0")
mkdir -p "$OUT"

# the test log: deterministic, regenerated only when the generator changes
STAMP=$(cksum < "$BENCH_DIR/gen_maillog.py")
if [ ! -s "$OUT/mail.log" ] || [ "$(cat "$OUT/mail.log.stamp" 2>/dev/null)" != "$STAMP" ]; then
	echo "generating $OUT/mail.log (2,000,000 lines, seed 42)"
	python3 "$BENCH_DIR/gen_maillog.py" "$OUT/mail.log" 2000000 42 >/dev/null
	echo "$STAMP" > "$OUT/mail.log.stamp"
fi

# the third policy baseline; its absence only skips that one figure
if ! command -v postgrey >/dev/null 2>&1 && [ ! -x /usr/sbin/postgrey ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing postgrey (benchmark baseline)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-remove \
			postgrey >"$OUT/postgrey-install.log" 2>&1 ||
			echo "postgrey could not be installed: see $OUT/postgrey-install.log"
	else
		echo "postgrey is missing and cannot be installed here (not root or no apt-get)"
	fi
fi

PYTHONPATH="$(pwd)/tests/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 "$BENCH_DIR/bench.py" "$BUILD"
