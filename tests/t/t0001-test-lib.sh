#!/usr/bin/env bash
# The test harness itself. test-lib.sh: a test whose body is not one && chain fails,
# even when its last command succeeds; intact chains (loops, braces, background
# commands, here-documents) pass. Each case runs in a sub-script with its own trash
# directory. The unit runner: skips are counted as skipped; in CI a skip without a
# reason why CI cannot run the test is a failure.
. "$(dirname "$0")/test-lib.sh"

# run_sub NAME BODY: a script with one test of BODY; its output in NAME.out, status in NAME.rc.
run_sub() {
	mkdir -p sub &&
	{
		printf '. "%s/tests/t/test-lib.sh"\n' "$KL_SRC"
		printf 'test_expect_success %q %q\n' "$1" "$2"
		printf 'test_done\n'
	} >"sub/$1.sh" &&
	{ KL_TRASH_ROOT="$TRASH/subtrash" bash "sub/$1.sh" >"$1.out" 2>&1; echo $? >"$1.rc"; } &&
	cat "$1.out"
}

# broken NAME BODY: reported as a broken chain, counted failed, the script exits 1.
broken() {
	run_sub "$1" "$2" &&
	grep -q "^not ok 1 - $1$" "$1.out" &&
	grep -q "^# broken && chain" "$1.out" &&
	grep -q "^# $1: 0 passed, 1 failed" "$1.out" &&
	test "$(cat "$1.rc")" = 1
}

passes() {
	run_sub "$1" "$2" &&
	grep -q "^ok 1 - $1$" "$1.out" &&
	grep -q "^# $1: 1 passed, 0 failed" "$1.out" &&
	test "$(cat "$1.rc")" = 0
}

test_expect_success 'a failing command on its own line fails the test (the set -e hole)' '
	broken newline "true &&
	false
	true"
'

test_expect_success 'commands joined with ; fail the test' '
	broken semicolon "true && false; true"
'

test_expect_success 'a background command not in braces fails the test, even through wait' '
	broken background "sleep 0.1 & pid=\$! && wait \$pid"
'

test_expect_success 'cmd || { diag; false; } in the middle of a chain, unbraced, fails the test' '
	broken unbraced-or "true || { echo diag; false; } && true"
'

test_expect_success 'a here-document that does not end fails the test' '
	broken heredoc "cat <<EOF &&
	text
	true"
'

test_expect_success 'a broken chain is not run for real: its first command did not happen' '
	broken norun "touch \"\$TRASH/../../ran\" &&
	true
	true" &&
	test ! -e ran
'

test_expect_success 'an intact chain with loops, braces, a background job and a here-document passes' '
	passes intact "x=1 &&
	for i in 1 2; do test \$i -gt 0 || return 1; done &&
	{ false || rc=\$?; } && test \$rc = 1 &&
	{ sleep 0.1 & pid=\$!; } && wait \$pid &&
	cat >f <<-EOF &&
	hello
	EOF
	grep -q hello f"
'

test_expect_success 'a failure inside a loop reaches the chain with || return 1' '
	run_sub loop "for i in 1 2; do false || return 1; done && true" &&
	grep -q "^not ok 1 - loop$" loop.out && test "$(cat loop.rc)" = 1
'

test_expect_success 'KL_TEST_CHAIN_LINT=0 turns the lint off' '
	KL_TEST_CHAIN_LINT=0 passes off "false
	true"
'

KL_UNIT=${KL_UNIT:-$KL_SRC/build/default/unit-tests}

test_expect_success 'unit runner: skips are counted as skipped, not passed' '
	CI=false KL_UNIT_SELFTEST=1 "$KL_UNIT" runner_skip >out &&
	cat out &&
	grep -q "^ok 1 - unit/runner_skip_without_ci_reason # skip a prerequisite is missing$" out &&
	grep -q "^ok 2 - unit/runner_skip_with_ci_reason # skip a prerequisite is missing; it runs elsewhere$" out &&
	grep -q "^# unit: 0 passed, 0 failed, 2 skipped$" out
'

test_expect_success 'unit runner in CI: a skip fails unless the test says why CI cannot run it' '
	test_expect_code 1 env CI=true KL_UNIT_SELFTEST=1 "$KL_UNIT" runner_skip >out &&
	cat out &&
	grep -q "^not ok 1 - unit/runner_skip_without_ci_reason # skipped in CI, which must run it: " out &&
	grep -q "^ok 2 - unit/runner_skip_with_ci_reason # skip " out &&
	grep -q "^# unit: 0 passed, 1 failed, 1 skipped$" out
'

test_done
