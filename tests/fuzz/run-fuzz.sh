#!/bin/sh
# run-fuzz.sh - run every built libFuzzer harness build/fuzz/fuzz_* for
# $FUZZ_SECONDS seconds (default 300) on a scratch copy of its seed corpus
# (build/fuzz/work/<name>; tests/ is never written), print execs/s and
# total execs from libFuzzer's final stats, keep any crashing, leaking or
# hanging input in build/fuzz/crashes/ and exit 1 if there was one.
#   FUZZ_ONLY="fuzz_match fuzz_policy" limits the harnesses run.
set -u
top=${POPGATE_TOP:-$(pwd)}
cd "$top" || exit 2
secs=${FUZZ_SECONDS:-300}
bins=build/fuzz
work=$bins/work
crashes=$bins/crashes
failed=""
ran=0

stat() {	# $1 = stat name, $2 = log
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

fuzz_one() {	# $1 = harness binary
	name=$(basename "$1")
	corpus=$work/$name
	log=$work/$name.log
	dict=
	[ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict
	rm -rf "$corpus"
	mkdir -p "$corpus" "$crashes"
	[ -d "tests/fuzz/corpus/$name" ] && cp tests/fuzz/corpus/"$name"/* "$corpus"/
	echo "=== $name: ${secs}s"
	"$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crashes/$name-" $dict \
		"$corpus" >"$log" 2>&1
	rc=$?
	printf '%s: %s execs/s, %s execs, %s new units, peak %s MB, exit %s\n' \
		"$name" "$(stat average_exec_per_sec "$log")" \
		"$(stat number_of_executed_units "$log")" \
		"$(stat new_units_added "$log")" "$(stat peak_rss_mb "$log")" "$rc"
	if [ "$rc" -ne 0 ]; then
		failed="$failed $name"
		grep -E 'ERROR|SUMMARY|invariant|^ *#[0-5] |Test unit written' "$log" |
			head -n 30
		echo "full log: $log"
	fi
}

for bin in "$bins"/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=$(basename "$bin")
	case " ${FUZZ_ONLY:-$name} " in *" $name "*) ;; *) continue ;; esac
	ran=$((ran + 1))
	fuzz_one "$bin"
done
if [ "$ran" -eq 0 ]; then
	echo "run-fuzz.sh: no harness in $bins (run make fuzz-build)" >&2
	exit 1
fi
if [ -n "$failed" ]; then
	echo "crashes in:$failed (inputs kept in $crashes)"
	exit 1
fi
echo "$ran harnesses, no crash"
