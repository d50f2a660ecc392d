#!/usr/bin/env bash
# The fuzz targets' seed corpus and every input a fuzzer found (tests/fuzz/corpus/ and
# tests/fuzz/regressions/) replayed through the same targets, built by the normal
# compiler (make fuzz-replay; with SANITIZE the sanitizer build's): no clang needed.
. "$(dirname "$0")/test-lib.sh"

REPLAY_DIR=${KL_FUZZ_REPLAY_DIR:-$(dirname "$KL_BIN")/fuzz}

test_expect_success 'every target has a replay binary and a seed corpus' '
	test -n "$(ls "$KL_SRC"/tests/fuzz/fuzz_*.c)" &&
	for src in "$KL_SRC"/tests/fuzz/fuzz_*.c; do
		name=$(basename "$src" .c) && name=${name#fuzz_} &&
		test -x "$REPLAY_DIR/replay-$name" &&
		test -n "$(ls "$KL_SRC/tests/fuzz/corpus/$name")" || { echo "missing for $name"; return 1; }
	done
'

for src in "$KL_SRC"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c) && name=${name#fuzz_}
	test_expect_success "fuzz_$name: the corpus and the regression inputs replay cleanly" '
		inputs="$KL_SRC/tests/fuzz/corpus/$name" &&
		if [ -d "$KL_SRC/tests/fuzz/regressions/$name" ]; then
			inputs="$inputs $KL_SRC/tests/fuzz/regressions/$name"
		fi &&
		{ "$REPLAY_DIR/replay-$name" $inputs >out 2>&1 || { cat out; false; }; } &&
		cat out &&
		grep -q "^replayed [1-9][0-9]* inputs$" out
	'
done

test_done
