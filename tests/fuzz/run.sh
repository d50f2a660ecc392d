#!/usr/bin/env bash
# run.sh BUILD SECONDS NAME...: run each libFuzzer target BUILD/fuzz-NAME for SECONDS
# and print one line per target (executions, coverage, corpus), then "N passed, N failed".
# A target fails when it finds anything (crash, leak, undefined behaviour, broken
# invariant, an input slower than 10 s); its input is in BUILD/crashes/NAME/.
set -u
cd "$(dirname "$0")/../.."
build=$1 seconds=$2
shift 2
passed=0 failed=0
for name in "$@"; do
	work=$build/corpus/$name crashes=$build/crashes/$name log=$build/fuzz-$name.log
	mkdir -p "$work" "$crashes" tests/fuzz/corpus/"$name" tests/fuzz/regressions/"$name"
	rc=0
	"$build/fuzz-$name" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$work" tests/fuzz/corpus/"$name" tests/fuzz/regressions/"$name" \
		>"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1)
	cov=$(sed -E -n 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
	ft=$(sed -E -n 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
	corp=$(sed -E -n 's/.* corp: ([0-9]+).*/\1/p' <<<"$done_line")
	if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
		passed=$((passed + 1))
		echo "ok - fuzz $name: ${execs} executions in ${seconds} s, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
	else
		failed=$((failed + 1))
		echo "not ok - fuzz $name: exit $rc after ${execs:-?} executions; input: $(ls -t "$crashes" | head -n1)"
		grep -E 'ERROR: |runtime error:|invariant failed|SUMMARY:' "$log" | head -n 5 | sed 's/^/#   /'
		echo "#   log: $log"
	fi
done
echo "# fuzz: $passed passed, $failed failed, 0 skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
