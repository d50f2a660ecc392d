#!/usr/bin/env bash
# Profiles: names, the current profile, list in text and JSON.
. "$(dirname "$0")/test-lib.sh"

make_profile() {
	mkdir -p "$KUBELAUNCH_HOME/profiles/$1" &&
	jq -n --arg n "$1" --arg d "$2" \
		'{Name:$n, Driver:$d, ContainerRuntime:"containerd", KubernetesVersion:"v1.34.2",
		  IP:"192.168.39.10", APIServerPort:8443, Nodes:1}' \
		>"$KUBELAUNCH_HOME/profiles/$1/config.json"
}

test_expect_success 'bad profile names are usage errors and create nothing' '
	for p in ../x UPPER a.b a/b -x $(printf "a%.0s" $(seq 64)); do
		test_expect_code 14 kubelaunch -p "$p" profile list 2>err || return 1
		grep -q "PROFILE_NAME_INVALID" err || return 1
		test_expect_code 14 kubelaunch profile "$p" 2>err || return 1
	done &&
	test ! -e "$KUBELAUNCH_HOME"
'

test_expect_success 'the default profile is kubelaunch' '
	test "$(kubelaunch profile)" = kubelaunch
'

test_expect_success 'a 63-character name is fine' '
	kubelaunch -p $(printf "a%.0s" $(seq 63)) profile list
'

test_expect_success 'profile NAME sets the current profile' '
	kubelaunch profile dev >out 2>err &&
	grep -q "successfully set to dev" out &&
	grep -q "does not exist yet" err &&
	test "$(kubelaunch profile)" = dev &&
	test "$(kubelaunch config get profile)" = dev &&
	test "$(kubelaunch -p other profile)" = other
'

test_expect_success 'profile list: a sorted table with the active profile marked' '
	make_profile dev qemu && make_profile alpha kvm2 &&
	kubelaunch profile list >out &&
	grep -n "| alpha " out | grep -q "^4:" &&
	grep -q "| dev .*| qemu .*| containerd .*| 192.168.39.10 .*| 8443 .*| v1.34.2 .*| 1 .*| \* .*|" out
'

test_expect_success 'profile list -o json' '
	kubelaunch profile list -o json >out.json &&
	jq -e ".valid | map(.Name) == [\"alpha\", \"dev\"]" out.json &&
	jq -e ".valid[1].Active == true and .valid[1].Config.Driver == \"qemu\"" out.json &&
	jq -e ".invalid == []" out.json
'

test_expect_success 'a corrupt profile is listed as invalid, the rest still listed' '
	make_profile broken qemu && echo "{" >"$KUBELAUNCH_HOME/profiles/broken/config.json" &&
	kubelaunch profile list >out 2>err &&
	grep -q "invalid profile .broken." err && grep -q "| alpha " out &&
	kubelaunch profile list -o json | jq -e ".invalid[0].Name == \"broken\""
'

test_done
