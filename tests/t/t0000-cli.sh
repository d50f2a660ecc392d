#!/usr/bin/env bash
# The command line: dispatch, help, usage errors, version, completion, output.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'help lists the registered commands' '
	kubelaunch help >out &&
	grep -q "^  config " out && grep -q "^  version " out && grep -q "^  profile " out
'

test_expect_success 'no command prints help and exits 0' '
	kubelaunch >out && grep -q "^Commands:" out
'

test_expect_success 'unknown command: exit 14 with a suggestion, nothing created' '
	test_expect_code 14 kubelaunch confg view 2>err &&
	grep -q "^error: unknown command .confg.; did you mean .config.? \[USAGE_UNKNOWN_COMMAND\]$" err &&
	grep -q "^advice: " err &&
	test ! -e "$KUBELAUNCH_HOME"
'

test_expect_success 'no prefix matching of commands' '
	test_expect_code 14 kubelaunch vers 2>err &&
	grep -q "did you mean .version." err
'

test_expect_success 'unknown flag: exit 14 with a suggestion' '
	test_expect_code 14 kubelaunch version --shrt 2>err &&
	grep -q "unknown flag .--shrt.; did you mean .--short.?" err
'

test_expect_success 'flag without a value: exit 14' '
	test_expect_code 14 kubelaunch profile list -p 2>err &&
	grep -q "flag .-p. needs a value" err
'

test_expect_success 'bad -o value: exit 14' '
	test_expect_code 14 kubelaunch version -o yaml 2>err &&
	grep -q "use text or json" err
'

test_expect_success 'command --help is generated from its option table' '
	kubelaunch version --help >out &&
	grep -q "^Usage:" out && grep -q -- "--short" out && grep -q -- "--profile" out &&
	kubelaunch help config >out2 && grep -q "config set KEY VALUE" out2
'

test_expect_success 'version in text and JSON carries the commit' '
	kubelaunch version >out &&
	grep -q "^kubelaunch version: v[0-9]" out &&
	commit=$(sed -n "s/^commit: //p" out) &&
	test -n "$commit" && test "$commit" != unknown &&
	kubelaunch version -o json >out.json &&
	test "$(jq -r .commit out.json)" = "$commit" &&
	jq -e ".kubelaunchVersion | test(\"^v\")" out.json &&
	test "$(kubelaunch version --short)" = "$(jq -r .kubelaunchVersion out.json)"
'

test_expect_success 'errors with -o json are one io.kubelaunch.error event' '
	test_expect_code 14 kubelaunch -o json confg >out &&
	test "$(wc -l <out)" = 1 &&
	jq -e ".specversion == \"1.0\" and .type == \"io.kubelaunch.error\"" out &&
	jq -e ".data.name == \"USAGE_UNKNOWN_COMMAND\" and .data.exitcode == \"14\"" out &&
	jq -e ".data.advice | length > 0" out
'

test_expect_success 'completion scripts are generated from the table and parse' '
	kubelaunch completion bash >c.bash && bash -n c.bash &&
	grep -q "config) COMPREPLY" c.bash && grep -q "set get unset view" c.bash &&
	(. ./c.bash; COMP_WORDS=(kubelaunch conf); COMP_CWORD=1; _kubelaunch; test "${COMPREPLY[*]}" = config) &&
	kubelaunch completion zsh >c.zsh && grep -q "^#compdef kubelaunch" c.zsh &&
	kubelaunch completion fish >c.fish && grep -q "__fish_seen_subcommand_from profile. -a list" c.fish &&
	if command -v zsh >/dev/null; then zsh -n c.zsh; fi &&
	if command -v fish >/dev/null; then fish --no-execute c.fish; fi &&
	test_expect_code 14 kubelaunch completion tcsh
'

test_expect_success '--help is the list of commands, as help is' '
	kubelaunch help >expect &&
	kubelaunch --help >out && test_cmp expect out &&
	kubelaunch -h >out && test_cmp expect out
'

test_expect_success 'a profile given as an argument is a usage error, nothing created' '
	for cmd in stop status ip pause unpause ssh-key ssh-host update-context logs delete start version; do
		test_expect_code 14 kubelaunch $cmd dev 2>err || return 1
		grep -q "^error: .$cmd. takes no arguments (got .dev.); the profile is given with -p NAME" err || return 1
	done &&
	test ! -e "$KUBELAUNCH_HOME"
'

test_expect_success 'every command refuses one argument more than it declares' '
	kubelaunch help | sed -n "/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p" >cmds &&
	test "$(wc -l <cmds)" -gt 10 &&
	while read -r cmd; do
		case $cmd in kubectl|ssh) continue ;; esac
		test_expect_code 14 kubelaunch $cmd list a b c d 2>err || return 1
		grep -q "^error: .$cmd. takes " err || return 1
	done <cmds &&
	test_expect_code 14 kubelaunch service 2>err && grep -q "needs one service NAME" err &&
	test ! -e "$KUBELAUNCH_HOME"
'

test_expect_success 'control characters in what is echoed are escaped' '
	test_expect_code 14 kubelaunch config set image-repository "$(printf "a\033[31mb")" 2>err &&
	grep -q "invalid value .a\\\\x1b\[31mb. for .image-repository." err &&
	! grep -q "$(printf "\033")" err &&
	test_expect_code 14 kubelaunch -p "$(printf "x\033]0;owned\007")" status 2>err &&
	! grep -q "$(printf "\033")" err && grep -q "x\\\\x1b]0;owned\\\\x07" err
'

test_expect_success '-o json errors with bytes that are not UTF-8 are valid JSON' '
	test_expect_code 14 kubelaunch -o json -p "$(printf "dev\377")" status >out &&
	test "$(wc -l <out)" = 1 && grep -q "io.kubelaunch.error" out &&
	jq -e ".data.message | test(\"dev.xff\")" out
'

test_expect_success 'advice names the command instead of <command>' '
	test_expect_code 14 kubelaunch stop --bogus 2>err &&
	grep -q "^advice: see .kubelaunch stop --help. for the flags$" err &&
	test_expect_code 14 kubelaunch config set cpus x 2>err &&
	grep -q "^advice: see .kubelaunch config --help." err &&
	! grep -q "<command>" err
'

test_expect_success 'docs/exitcodes.md and the man page are current' '
	kubelaunch help exit-codes | cmp - "$KL_SRC/docs/exitcodes.md" &&
	kubelaunch help man | cmp - "$KL_SRC/docs/kubelaunch.1"
'

test_done
