# test-lib.sh: shell end-to-end tests in git's style.
#
# A test script sources this file, runs test_expect_success blocks and ends with
# test_done. Each script runs in a private trash directory that is also its HOME
# and KUBELAUNCH_HOME; KUBECONFIG and the proxy variables are unset.
#
#   test_expect_success 'title' 'commands'   commands joined with && (chain-linted)
#   test_must_fail cmd...        fails (exit 1..125), but a crash (signal) is a failure
#   test_expect_code N cmd...    exits with exactly N
#   test_cmp expected actual     diff -u
#   test_skip_or_fail 'why'      a prerequisite is missing: in CI it fails, else skips
#   test_skip 'title' 'why'      a test that is not run here, on purpose: skipped, CI too
#   test_done                    prints the count; exit 1 if any test failed
#   test_when_finished CMD       run CMD at test_done (also from inside a test body)
#   test_track_pid PID           end a background process of the test at test_done
#   test_pid_alive PID           the process runs (a zombie is gone: this container's
#                                PID 1 may not reap daemonized processes)
#
# Environment: KL_BIN (the kubelaunch binary, put on PATH as "kubelaunch"),
# KL_SRC (the source tree), KL_VERBOSE=1 prints each test's output.

set -u
KL_SRC=${KL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
KL_BIN=${KL_BIN:-$KL_SRC/kubelaunch}
test_name=$(basename "$0" .sh)
TRASH=${KL_TRASH_ROOT:-$KL_SRC/build/trash}/$test_name
rm -rf "$TRASH"
mkdir -p "$TRASH/bin" "$TRASH/home"
ln -sf "$KL_BIN" "$TRASH/bin/kubelaunch"
export HOME="$TRASH/home"
export KUBELAUNCH_HOME="$HOME/.kubelaunch"
export PATH="$TRASH/bin:$PATH"
unset KUBECONFIG http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY all_proxy ALL_PROXY
cd "$TRASH" || exit 1

test_count=0
test_failed=0
test_skipped=0

say() { printf '%s\n' "$*"; }

test_pid_alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q "^[0-9]* ([^)]*) Z" "/proc/$1/stat"
}

# A body runs in a subshell as the body of a function (so a loop can say
# `|| return 1`), and its status is the status of its last command: there is no
# `set -e` (bash ignores it in a command whose status is tested anyway). So every
# command of a body is joined to the next with &&, and the chain lint checks that.
test_eval_() {
	eval "$1"
}

# Chain lint (KL_TEST_CHAIN_LINT=0 turns it off): before a body runs, it runs once
# as "(exit 117) && BODY", followed by a line that prints the status. With an
# unbroken && chain nothing of BODY runs and the status is 117. A command that is
# not joined with && (a newline, ";" or "&" instead) runs, and the status is its own;
# an unterminated here-document swallows the status line. The status alone can be
# fooled ("cmd & pid=$! && wait $pid" hands the 117 on), so a DEBUG trap also counts
# the commands that ran, which must be as many as for the body "true". Either way the
# test fails without running. Inside loops, { ...; }, $(...) and functions a failure
# must still reach the chain: `|| return 1` in loops, `{ cmd || rc=$?; } &&`, and
# `{ cmd & } &&` for a background command.
test_chain_lint_run_() {
	(
		kl_lint_ran=0
		set -T
		trap 'kl_lint_ran=$((kl_lint_ran + 1))' DEBUG
		test_eval_ "(exit 117) && $1
echo \"kl-chain-lint-\$? \$kl_lint_ran\""
	) >"$TRASH/.lint" 2>/dev/null </dev/null
	tail -n 1 "$TRASH/.lint"
	rm -f "$TRASH/.lint"
}

test_chain_lint_() {
	[ "${KL_TEST_CHAIN_LINT:-1}" = 0 ] && return 0
	[ -n "${test_chain_lint_ok_:-}" ] || test_chain_lint_ok_=$(test_chain_lint_run_ true)
	[ "$(test_chain_lint_run_ "$1")" = "$test_chain_lint_ok_" ]
}

test_expect_success() {
	test_count=$((test_count + 1))
	local title=$1 body=$2 out="$TRASH/.out.$test_count"
	if ! test_chain_lint_ "$body"; then
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $title"
		say "# broken && chain (or a here-document that does not end) in:"
		printf '%s\n' "$body" | sed 's/^/#   /'
		return 0
	fi
	if (test_eval_ "$body") >"$out" 2>&1; then
		say "ok $test_count - $title"
		[ "${KL_VERBOSE:-}" = 1 ] && sed 's/^/# /' "$out"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $title"
		sed 's/^/# /' "$out" | tail -n 40
	fi
	return 0
}

test_skip_or_fail() {
	test_count=$((test_count + 1))
	if [ "${CI:-}" = true ]; then
		test_failed=$((test_failed + 1))
		say "not ok $test_count - cannot run in CI: $1"
	else
		test_skipped=$((test_skipped + 1))
		say "ok $test_count # skip $1"
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	say "ok $test_count - $1 # skip $2"
}

test_must_fail() {
	local rc=0
	"$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		say "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ "$rc" -gt 125 ]; then
		say "test_must_fail: '$*' died (exit $rc)" >&2
		return 1
	fi
	return 0
}

test_expect_code() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		say "test_expect_code: '$*' exited $rc, wanted $want" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	diff -u "$1" "$2"
}

# test_when_finished CMD: run CMD (a shell string) at test_done, even on failure.
# Test bodies run in subshells, so the commands are kept in a file, newest first.
test_when_finished() {
	{ printf '%s\n' "$1"; cat "$TRASH/.cleanups" 2>/dev/null || true; } >"$TRASH/.cleanups.new" &&
		mv "$TRASH/.cleanups.new" "$TRASH/.cleanups"
}

# test_track_pid PID: a background process this test started; ended (TERM, then KILL)
# at test_done. Usable inside test bodies.
test_track_pid() {
	echo "$1" >>"$TRASH/.pids"
}

stop_tracked() {
	local p
	[ -s "$TRASH/.pids" ] || return 0
	while read -r p; do kill "$p" 2>/dev/null; done <"$TRASH/.pids"
	sleep 0.5
	while read -r p; do kill -9 "$p" 2>/dev/null; done <"$TRASH/.pids"
	rm -f "$TRASH/.pids"
}

run_cleanups() {
	stop_tracked
	[ -f "$TRASH/.cleanups" ] || return 0
	(cd "$TRASH" && . ./.cleanups) >/dev/null 2>&1
	rm -f "$TRASH/.cleanups"
}

test_done() {
	run_cleanups
	local passed=$((test_count - test_failed - test_skipped))
	say "# $test_name: $passed passed, $test_failed failed, $test_skipped skipped"
	[ "$test_failed" -eq 0 ] && rm -rf "$TRASH"
	[ "$test_failed" -eq 0 ]
}

# free_port: an unused TCP port on 127.0.0.1, chosen by the kernel.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

trap 'test_done_trap' EXIT
test_done_trap() {
	run_cleanups
	return 0
}
