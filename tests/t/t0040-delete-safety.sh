#!/usr/bin/env bash
# delete and purge lose nothing that is not kubelaunch's and orphan nothing: purge removes
# only a home kubelaunch made; a damaged profile's QEMU is stopped (or the delete refused);
# delete checks before it acts; a start never ignores a machine record it cannot read.
# No VM boots: the QEMU here is a real qemu-system-x86_64 with no machine (-machine none).
. "$(dirname "$0")/test-lib.sh"

# profile NAME DRIVER: a profile and an empty machine directory, as a start leaves them.
profile() {
	mkdir -p "$KUBELAUNCH_HOME/profiles/$1" "$KUBELAUNCH_HOME/machines/$1" &&
	jq -n --arg n "$1" --arg d "$2" '{Name: $n, Driver: $d, KubernetesVersion: "v1.34.2"}' \
		>"$KUBELAUNCH_HOME/profiles/$1/config.json" &&
	jq -n --arg d "$2" '{Driver: $d}' >"$KUBELAUNCH_HOME/machines/$1/state.json"
}

# qemu_for NAME: a real QEMU with the machine's monitor socket and pid file, as the qemu
# driver starts it (no guest: nothing to boot).
qemu_for() {
	local m="$KUBELAUNCH_HOME/machines/$1"
	qemu-system-x86_64 -machine none -nodefaults -display none -name "kl-test-$1" \
		-qmp "unix:$m/qmp.sock,server=on,wait=off" -pidfile "$m/qemu.pid" -daemonize &&
	test_track_pid "$(cat "$m/qemu.pid")" &&
	test_pid_alive "$(cat "$m/qemu.pid")"
}

# kubeconfig NAME...: a kubeconfig with our entries for each NAME and one of someone else's.
kubeconfig() {
	mkdir -p "$HOME/.kube" &&
	{
		echo "apiVersion: v1" && echo "kind: Config" && echo "current-context: $1" &&
		echo "clusters:" && echo "- name: theirs" && echo "  cluster: {server: 'https://10.0.0.1:6443'}" &&
		for n in "$@"; do echo "- name: $n" && echo "  cluster: {server: 'https://127.0.0.1:1'}"; done &&
		echo "contexts:" &&
		for n in "$@"; do echo "- name: $n" && echo "  context: {cluster: $n, user: $n}"; done &&
		echo "users:" &&
		for n in "$@"; do echo "- name: $n" && echo "  user: {token: x}"; done
	} >"$HOME/.kube/config"
}

test_expect_success 'purge refuses a home kubelaunch did not make (KUBELAUNCH_HOME=$HOME), touching nothing' '
	mkdir -p user/cache user/logs && echo precious >user/notes.txt && echo mine >user/cache/x &&
	(cd user && find . | sort) >before &&
	test_expect_code 34 env HOME="$TRASH/user" KUBELAUNCH_HOME="$TRASH/user" \
		kubelaunch delete --all --purge >out 2>err &&
	grep -q "HOST_HOME_FOREIGN" err && grep -q "refusing to purge .$TRASH/user." err &&
	grep -q "advice: " err &&
	(cd user && find . | sort) >after && test_cmp before after
'

test_expect_success 'purge removes a home kubelaunch created, with everything in it' '
	KUBELAUNCH_HOME="$TRASH/made" kubelaunch config set memory 4g &&
	test -f made/.kubelaunch-home && test -f made/config/config.json &&
	KUBELAUNCH_HOME="$TRASH/made" kubelaunch delete --all --purge &&
	test ! -e made
'

test_expect_success 'purge of a home kubelaunch made keeps what someone else put there' '
	KUBELAUNCH_HOME="$TRASH/shared" kubelaunch config set memory 4g &&
	echo mine >shared/notes.txt &&
	KUBELAUNCH_HOME="$TRASH/shared" kubelaunch delete --all --purge >err 2>&1 &&
	grep -q "kept .$TRASH/shared. itself" err &&
	test "$(ls -A shared)" = notes.txt
'

test_expect_success 'the default ~/.kubelaunch is ours even without the marker (homes of older versions)' '
	mkdir -p old/.kubelaunch/cache && echo x >old/.kubelaunch/cache/y &&
	env -u KUBELAUNCH_HOME HOME="$TRASH/old" kubelaunch delete --all --purge &&
	test ! -e old/.kubelaunch && test -d old
'

for damage in 'corrupt config.json' 'corrupt state.json' 'an unknown driver'; do
	test_expect_success "a profile with $damage: delete stops its QEMU and cleans the kubeconfig" '
		profile dev qemu && qemu_for dev && pid=$(cat "$KUBELAUNCH_HOME/machines/dev/qemu.pid") &&
		kubeconfig dev &&
		case "$damage" in
		*config.json) echo "{" >"$KUBELAUNCH_HOME/profiles/dev/config.json" ;;
		*state.json) echo "{\"PID\": " >"$KUBELAUNCH_HOME/machines/dev/state.json" ;;
		*driver) echo "{\"Name\": \"dev\", \"Driver\": \"nosuch\"}" >"$KUBELAUNCH_HOME/profiles/dev/config.json" ;;
		esac &&
		kubelaunch delete -p dev >out 2>err &&
		grep -q "deleting what is left of \"dev\"" err &&
		for i in $(seq 50); do test_pid_alive "$pid" || break; sleep 0.1; done &&
		! test_pid_alive "$pid" &&
		test ! -e "$KUBELAUNCH_HOME/machines/dev" && test ! -e "$KUBELAUNCH_HOME/profiles/dev" &&
		! grep -q "name: dev" "$HOME/.kube/config" && grep -q "name: theirs" "$HOME/.kube/config"
	'
done

test_expect_success 'a damaged profile of a machine kubelaunch cannot stop without its files: refused, kept' '
	profile box ssh && echo "{" >"$KUBELAUNCH_HOME/profiles/box/config.json" && kubeconfig box &&
	cp "$HOME/.kube/config" kc.before &&
	test_expect_code 18 kubelaunch delete -p box 2>err &&
	grep -q "CONFIG_CORRUPT" err && grep -q "its ssh machine may still run" err &&
	test -f "$KUBELAUNCH_HOME/machines/box/state.json" && cmp kc.before "$HOME/.kube/config" &&
	rm -rf "$KUBELAUNCH_HOME/profiles/box" "$KUBELAUNCH_HOME/machines/box"
'

test_expect_success 'a none profile whose config.json is gone is deleted from its machine record' '
	profile host none && rm "$KUBELAUNCH_HOME/profiles/host/config.json" && kubeconfig host &&
	kubelaunch delete -p host >out 2>&1 &&
	grep -q "profile .host. not found: deleting what is left" out &&
	test ! -e "$KUBELAUNCH_HOME/machines/host" && test ! -e "$KUBELAUNCH_HOME/profiles/host" &&
	! grep -q "name: host" "$HOME/.kube/config"
'

test_expect_success 'a QEMU of another machine named by a stale pid file is left alone' '
	profile other qemu && qemu_for other && pid=$(cat "$KUBELAUNCH_HOME/machines/other/qemu.pid") &&
	profile dev qemu && echo "$pid" >"$KUBELAUNCH_HOME/machines/dev/qemu.pid" &&
	kubelaunch delete -p dev &&
	test_pid_alive "$pid" && test ! -e "$KUBELAUNCH_HOME/machines/dev" &&
	profile dev qemu && echo "$pid" >"$KUBELAUNCH_HOME/machines/dev/qemu.pid" &&
	echo "{" >"$KUBELAUNCH_HOME/profiles/dev/config.json" &&
	kubelaunch delete -p dev 2>err &&
	test_pid_alive "$pid" && test ! -e "$KUBELAUNCH_HOME/machines/dev" &&
	kubelaunch delete -p other && ! test_pid_alive "$pid"
'

test_expect_success 'delete checks before it acts: an unparsable kubeconfig leaves the machine whole' '
	profile dev qemu && echo disk >"$KUBELAUNCH_HOME/machines/dev/disk.raw" &&
	mkdir -p "$HOME/.kube" && printf "clusters: [\n" >"$HOME/.kube/config" &&
	test_expect_code 104 kubelaunch delete -p dev 2>err &&
	grep -q "nothing was changed" err && grep -q "K8S_KUBECONFIG" err &&
	test -f "$KUBELAUNCH_HOME/machines/dev/disk.raw" && test -f "$KUBELAUNCH_HOME/profiles/dev/config.json"
'

test_expect_success 'a read-only kubeconfig with our entries: refused with advice, not replaced; then it works' '
	kubeconfig dev && chmod 0400 "$HOME/.kube/config" && cp "$HOME/.kube/config" kc.before &&
	test_expect_code 104 kubelaunch delete -p dev 2>err &&
	grep -q "read-only (mode 0400)" err && grep -q "chmod u+w" err &&
	cmp kc.before "$HOME/.kube/config" && test "$(stat -c %a "$HOME/.kube/config")" = 400 &&
	test -f "$KUBELAUNCH_HOME/machines/dev/disk.raw" &&
	chmod 0644 "$HOME/.kube/config" && kubelaunch delete -p dev &&
	test "$(stat -c %a "$HOME/.kube/config")" = 644 && ! grep -q "name: dev" "$HOME/.kube/config" &&
	test ! -e "$KUBELAUNCH_HOME/machines/dev"
'

test_expect_success 'a machine record that cannot be read is CONFIG_CORRUPT for start, never a fresh start' '
	profile dev qemu && echo "{" >"$KUBELAUNCH_HOME/machines/dev/state.json" &&
	test_expect_code 18 kubelaunch start -p dev --dry-run >out 2>err &&
	grep -q "CONFIG_CORRUPT" err && grep -q "machines/dev/state.json" err &&
	echo "{" | cmp - "$KUBELAUNCH_HOME/machines/dev/state.json"
'

test_done
