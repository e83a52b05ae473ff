#!/bin/sh
# smoke.t - the fuzz smoke run of "make test": each libFuzzer harness of
# tests/fuzz runs 10 s on a scratch copy of its seeds, then every input in
# tests/fuzz/regressions/<harness>/ is replayed once. A missing harness
# binary is a failure (never skipped); crashing inputs go to
# build/fuzz/crashes/. Never writes into tests/.
set -u
top=${POPGATE_TOP:-$(pwd)}
cd "$top" || exit 2
bins=$top/build/fuzz
crashes=$bins/crashes
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
failures=0

say() {		# $1 = 0 for ok, $2 = text
	if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2"; failures=$((failures + 1)); fi
}

show_log() {	# the interesting part of a failed run
	grep -E 'ERROR|SUMMARY|invariant|^ *#[0-5] |Test unit written' "$1" |
		head -n 20 | sed 's/^/# /'
}

smoke_one() {	# $1 = harness name
	bin=$bins/$1
	corpus=$scratch/$1
	mkdir -p "$corpus" "$crashes"
	[ -d "tests/fuzz/corpus/$1" ] && cp tests/fuzz/corpus/"$1"/* "$corpus"/
	dict=
	[ -f "tests/fuzz/$1.dict" ] && dict=-dict=tests/fuzz/$1.dict
	start=$(date +%s)
	"$bin" -max_total_time=10 -timeout=5 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crashes/$1-" $dict \
		"$corpus" >"$scratch/$1.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$1.log")
	if [ "$rc" -eq 0 ]; then
		say 0 "$1: ${execs:-?} execs, no crash ($(($(date +%s) - start))s)"
	else
		say 1 "$1: exit $rc after ${execs:-?} execs (input kept in $crashes)"
		show_log "$scratch/$1.log"
	fi
}

replay_one() {	# $1 = harness name
	dir=tests/fuzz/regressions/$1
	set -- "$1" "$dir"/*
	name=$1
	shift
	[ -f "$1" ] || return 0
	"$bins/$name" -timeout=5 -rss_limit_mb=2048 "$@" >"$scratch/$name.replay" 2>&1
	rc=$?
	say "$rc" "$name: $# regression inputs replayed"
	[ "$rc" -eq 0 ] || show_log "$scratch/$name.replay"
}

for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	if [ ! -x "$bins/$name" ]; then
		say 1 "$name: $bins/$name missing (run make fuzz-build)"
		continue
	fi
	smoke_one "$name"
	replay_one "$name"
done
[ "$failures" -eq 0 ]
