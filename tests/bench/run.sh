#!/bin/sh
# run.sh - entry point of `make bench` (after the Makefile built popgated,
# popgate-dump, libpopgate.a and tests/bin/* in BUILD): builds the bench
# programs against BUILD/libpopgate.a, generates the 2 M-line mail.log
# (once per generator version), installs postgrey if it can, then runs
# bench.py. Never asserts a time; never touches anything outside BUILD/bench
# and private temp dirs.
#   sh tests/bench/run.sh [BUILD]
set -e
BUILD=${1:-build}
OUT=$BUILD/bench
BENCH_DIR=$(dirname "$0")
mkdir -p "$OUT"

# the Makefile's flags (pkg-config may know neither package: that is fine)
PKG_CFLAGS=$(pkg-config --cflags lmdb libpcre2-8 2>/dev/null || true)
PKG_LIBS=$(pkg-config --libs lmdb libpcre2-8 2>/dev/null || echo "-llmdb -lpcre2-8")
if pkg-config --exists libsystemd 2>/dev/null; then
	PKG_LIBS="$PKG_LIBS $(pkg-config --libs libsystemd)"
fi
CC=${CC:-cc}
CFLAGS="-std=c99 -Wall -Wextra -Werror -O2 -g -Iinclude -D_GNU_SOURCE $PKG_CFLAGS"
LIBS="$BUILD/libpopgate.a $PKG_LIBS -linotifytools -lpthread"

build() {	# build NAME [extra flags]
	name=$1
	shift
	$CC $CFLAGS "$@" -o "$OUT/$name" "$BENCH_DIR/$name.c" \
		"$BENCH_DIR/bench_common.c" $LIBS
}
echo "building the bench programs in $OUT"
build bench_ingest
build bench_latency
build bench_policy
build bench_scale -Wl,--wrap=mdb_txn_begin,--wrap=mdb_txn_commit

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

exec python3 "$BENCH_DIR/bench.py" "$BUILD"
