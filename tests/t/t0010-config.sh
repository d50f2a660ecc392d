#!/usr/bin/env bash
# Typed config keys, atomic writes under a lock, corrupt files, unwritable homes.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'set, get, view and unset' '
	kubelaunch config set memory 4g &&
	kubelaunch config set cpus 2 &&
	kubelaunch config set driver libvirt &&
	test "$(kubelaunch config get memory)" = 4GiB &&
	test "$(kubelaunch config get driver)" = kvm2 &&
	kubelaunch config view >out &&
	printf "%s\n" "- cpus: 2" "- driver: kvm2" "- memory: 4GiB" >expect &&
	test_cmp expect out &&
	kubelaunch config view -o json | jq -e ".memory == 4096 and .cpus == 2" &&
	kubelaunch config unset cpus &&
	test_expect_code 14 kubelaunch config get cpus
'

test_expect_success 'the state file is JSON, written with mode 0644 and no temp files left' '
	jq -e . "$KUBELAUNCH_HOME/config/config.json" &&
	test "$(stat -c %a "$KUBELAUNCH_HOME/config/config.json")" = 644 &&
	test -z "$(find "$KUBELAUNCH_HOME/config" -name "*.tmp.*")"
'

test_expect_success 'sizes in many forms' '
	for v in 4096 4g 4G 4GB 4GiB 4096m 4096MiB; do
		kubelaunch config set memory $v && test "$(kubelaunch config get memory)" = 4GiB || return 1
	done
'

test_expect_success 'bad values name the key and the allowed form, exit 14' '
	for kv in "memory 4x" "memory 1g" "disk-size lots" "cpus 1" "cpus two" \
		"kubernetes-version 1.x" "container-runtime rkt" "iso-url ftp://x" "wait-timeout soon" \
		"embed-certs maybe" "wait-timeout 600h" "cert-expiration 1ms" "ssh-port -1" "binary-mirror notaurl" \
		"apiserver-ips 10.0.0.300" "cni nope.yaml"; do
		set -- $kv
		test_expect_code 14 kubelaunch config set -- $1 $2 2>err || return 1
		grep -q "invalid value .$2. for .$1.: " err || return 1
	done &&
	test "$(kubelaunch config get memory)" = 4GiB
'

test_expect_success 'limits of the host are resource errors: cpus, memory, disk' '
	test_expect_code 29 kubelaunch config set cpus 100000 2>err && grep -q "the host has [0-9]* CPUs" err &&
	test_expect_code 23 kubelaunch config set memory 99999999g 2>err && grep -q "the host has " err &&
	test_expect_code 26 kubelaunch config set disk-size 900t 2>err && grep -q "larger than the file system" err &&
	test_expect_code 55 kubelaunch config set driver qemo 2>err && grep -q "did you mean .qemu.?" err
'

test_expect_success 'unknown key: exit 14 with a suggestion' '
	test_expect_code 14 kubelaunch config set memroy 4g 2>err &&
	grep -q "did you mean .memory." err
'

test_expect_success 'corrupt config.json: exit 18, names file and place, file untouched' '
	printf "{\"memory\": 4096,\n  \"cpus\": \n" >"$KUBELAUNCH_HOME/config/config.json" &&
	cp "$KUBELAUNCH_HOME/config/config.json" before &&
	test_expect_code 18 kubelaunch config set cpus 4 2>err &&
	grep -q "cannot parse .*config/config.json. at line [0-9]*, column [0-9]*" err &&
	grep -q "\[CONFIG_CORRUPT\]" err &&
	test_expect_code 18 kubelaunch config view &&
	test_expect_code 18 kubelaunch profile list &&
	cmp before "$KUBELAUNCH_HOME/config/config.json" &&
	printf "[1,2]\n" >"$KUBELAUNCH_HOME/config/config.json" &&
	test_expect_code 18 kubelaunch config get memory 2>err &&
	grep -q "not a JSON object" err &&
	rm "$KUBELAUNCH_HOME/config/config.json"
'

test_expect_success 'truncated (empty) config.json is corrupt, not silently reset' '
	: >"$KUBELAUNCH_HOME/config/config.json" &&
	test_expect_code 18 kubelaunch config set cpus 4 &&
	test ! -s "$KUBELAUNCH_HOME/config/config.json" &&
	rm "$KUBELAUNCH_HOME/config/config.json"
'

test_expect_success 'many concurrent config set: no update is lost' '
	keys="apiserver-port cpus disk-size memory wait-timeout cni image-repository libvirt-uri" &&
	for round in 1 2 3 4 5; do
		for k in $keys; do
			case $k in
			apiserver-port) v=$((8000 + round)) ;; cpus) v=2 ;;
			disk-size) v=${round}0g ;; memory) v=$((round + 1))g ;; wait-timeout) v=${round}m ;;
			cni) v=bridge ;; *) v=$k-$round ;;
			esac
			kubelaunch config set $k $v &
		done
	done &&
	wait &&
	for k in $keys; do kubelaunch config get $k >/dev/null || return 1; done &&
	test "$(kubelaunch config view | wc -l)" = 8
'

test_expect_success 'a file that is not JSON: where, never what it holds' '
	echo "root:SECRETHASH:19000:0:99999:7:::" >secret &&
	ln -sf "$PWD/secret" "$KUBELAUNCH_HOME/config/config.json" &&
	test_expect_code 18 kubelaunch config view 2>err &&
	grep -q "cannot parse .*config.json. at line 1, column [0-9]*" err &&
	! grep -q "SECRET\|root" err &&
	rm "$KUBELAUNCH_HOME/config/config.json"
'

test_expect_success 'a lock that cannot be opened is that error, not a wait for another command' '
	mkdir -p "$KUBELAUNCH_HOME/profiles/kubelaunch.lock" &&
	test_expect_code 33 kubelaunch stop >out 2>err &&
	grep -q "cannot open lock .*kubelaunch.lock.: Is a directory" err &&
	! grep -q "Waiting for another" out err &&
	rmdir "$KUBELAUNCH_HOME/profiles/kubelaunch.lock"
'

test_expect_success 'a bad profile key in config.json is blamed on the file; config can still fix it' '
	echo "{\"profile\": 5}" >"$KUBELAUNCH_HOME/config/config.json" &&
	test_expect_code 18 kubelaunch status 2>err &&
	grep -q "invalid value 5 for .profile. in .*config.json." err &&
	kubelaunch config unset profile &&
	test_expect_code 85 kubelaunch status
'

test_expect_success 'unwritable KUBELAUNCH_HOME: exit 31 with the path' '
	mkdir ro && chmod 0555 ro &&
	if [ "$(id -u)" = 0 ]; then
		# root ignores mode bits: use a read-only bind mount when we can, else a file in the way
		: >ro/home
	fi &&
	KUBELAUNCH_HOME=$PWD/ro/home test_expect_code 31 kubelaunch config set cpus 2 2>err &&
	grep -q "ro/home" err && grep -q "\[HOST_HOME_NOT_WRITABLE\]" err
'

test_expect_success 'a run leaves a log file with the detail' '
	ls "$KUBELAUNCH_HOME"/logs/config_*.log >/dev/null &&
	grep -q "CONFIG_CORRUPT" "$KUBELAUNCH_HOME"/logs/config_*.log
'

test_done
