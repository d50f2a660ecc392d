#!/usr/bin/env bash
# start --dry-run, --wait, --cni and --force without a cluster; kubectl, logs and
# update-context on profiles that cannot serve them.
. "$(dirname "$0")/test-lib.sh"

V=v1.37.2

# Nothing of the profile, its machine or the cache exists.
nothing_created() {
	test ! -e "$KUBELAUNCH_HOME/profiles/$1" && test ! -e "$KUBELAUNCH_HOME/machines/$1" &&
	test -z "$(ls -A "$KUBELAUNCH_HOME/cache" 2>/dev/null)" && test ! -e "$HOME/.kube/config"
}

test_expect_success 'start --dry-run prints steps, settings and kubeadm.yaml, and creates nothing' '
	kubelaunch start --driver=none --kubernetes-version $V --dry-run --wait=node_ready,dns >out 2>err &&
	grep -q "^Dry run: nothing was created" out &&
	grep -q "^  Downloading Artifacts: kubeadm, kubelet, kubectl $V from https://dl.k8s.io/release$" out &&
	grep -q "^  Creating Machine: the none machine \"kubelaunch\"" out &&
	grep -q "^  Verifying: waiting for node_ready, dns " out &&
	grep -q "^  Driver: none$" out && grep -q "^  KubernetesVersion: $V$" out &&
	grep -q "^kind: InitConfiguration$" out && grep -q "^kubernetesVersion: $V$" out &&
	grep -q "^  advertiseAddress: [0-9.]*$" out &&
	nothing_created kubelaunch
'

test_expect_success 'the dry run renders what kubeadm accepts' '
	sed -n "/^---$/,\$p" out >kubeadm.yaml &&
	if [ -x "${KL_TB_BIN:-/nonexistent}/kubeadm" ]; then "$KL_TB_BIN/kubeadm" config validate --config kubeadm.yaml; fi &&
	grep -c "^kind: " kubeadm.yaml | grep -qx 4
'

test_expect_success 'start --dry-run -o json: one object with the settings and the kubeadm config' '
	kubelaunch start --driver=none --kubernetes-version $V --dry-run -o json >out &&
	tail -n1 out | jq -e ".DryRun == true and .Exists == false and .Settings.Driver == \"none\" and
		(.KubeadmConfig | test(\"kind: ClusterConfiguration\"))" &&
	nothing_created kubelaunch
'

test_expect_success 'stable is not resolved by a dry run: no request, the default version shown' '
	kubelaunch start --driver=none --dry-run --binary-mirror http://127.0.0.1:9/release >out &&
	grep -q "\"stable\" is resolved from the mirror at start" out &&
	nothing_created kubelaunch
'

test_expect_success 'a dry run of a qemu machine uses the guest address of user networking' '
	kubelaunch -p vm start --driver=qemu --kubernetes-version $V --dry-run >out &&
	grep -q "^  Checking Image: " out && grep -q "^  Waiting for SSH$" out &&
	grep -q "^  advertiseAddress: 10.0.2.15$" out && grep -q "^cgroupDriver: systemd$" out &&
	nothing_created vm
'

test_expect_success 'bad --wait values are usage errors naming the allowed values' '
	for w in bogus "none,dns" "" "node-ready"; do
		test_expect_code 14 kubelaunch start --driver=none --dry-run --wait="$w" 2>err || return 1
		grep -q "USAGE_BAD_VALUE" err || return 1
	done &&
	test_expect_code 14 kubelaunch start --driver=none --dry-run --wait=bogus 2>err &&
	grep -q "apiserver, kubelet, node_ready, default_sa, system_pods, dns, or all, or none" err &&
	nothing_created kubelaunch
'

test_expect_success 'good --wait values pass: all, none, and lists' '
	for w in all none apiserver system_pods,default_sa node_ready,kubelet,dns all,dns; do
		kubelaunch start --driver=none --kubernetes-version $V --dry-run --wait=$w >out || return 1
	done &&
	kubelaunch start --driver=none --kubernetes-version $V --dry-run --wait=none >out &&
	grep -q "^  Verifying: waiting for apiserver " out
'

test_expect_success '--cni: auto, bridge or a file that exists' '
	test_expect_code 14 kubelaunch start --driver=none --dry-run --cni=nope.yaml 2>err &&
	grep -q "invalid value .nope.yaml. for .--cni." err &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" >net.yaml &&
	kubelaunch start --driver=none --kubernetes-version $V --dry-run --cni=net.yaml >out &&
	grep -q "RBAC, the CNI manifest$" out && grep -q "^  CNI: " out &&
	kubelaunch start --driver=none --kubernetes-version $V --dry-run --cni=bridge >out &&
	grep -q "RBAC, the bridge CNI$" out &&
	nothing_created kubelaunch
'

test_expect_success '--force turns a failed driver health check into a warning' '
	if kubelaunch start --driver=kvm2 --kubernetes-version $V --dry-run >out 2>err; then
		: the driver is healthy here: nothing to force
	else
		rc=$? && test "$rc" -ge 50 && test "$rc" -lt 70 &&
		kubelaunch start --driver=kvm2 --kubernetes-version $V --dry-run --force >out 2>err &&
		grep -q "^! --force: going on although the kvm2 driver" err &&
		grep -q "^Dry run" out
	fi &&
	nothing_created kubelaunch
'

test_expect_success '--force does not make a driver for another OS usable' '
	test_expect_code 56 kubelaunch start --driver=vfkit --dry-run --force 2>err
'

test_expect_success 'kubectl, logs and update-context on a missing profile: 85' '
	test_expect_code 85 kubelaunch -p nope kubectl -- get nodes 2>err && grep -q GUEST_NOT_FOUND err &&
	test_expect_code 85 kubelaunch -p nope logs 2>err && grep -q GUEST_NOT_FOUND err &&
	test_expect_code 85 kubelaunch -p nope update-context 2>err && grep -q GUEST_NOT_FOUND err
'

test_expect_success 'a profile without Kubernetes: kubectl and update-context say so, logs shows the host side' '
	kubelaunch -p bare start --driver=none --no-kubernetes >/dev/null &&
	test_when_finished "kubelaunch -p bare delete" &&
	test_expect_code 100 kubelaunch -p bare kubectl -- get nodes 2>err &&
	grep -q "runs no Kubernetes" err && grep -q "^advice: " err &&
	test_expect_code 100 kubelaunch -p bare update-context 2>err && grep -q "runs no Kubernetes" err &&
	kubelaunch -p bare logs -n 2 >out &&
	grep -q "^==> kubeadm (the last start) <==$" out && grep -q "^==> kubelet <==$" out &&
	grep -q "^==> containerd <==$" out &&
	kubelaunch -p bare delete >/dev/null
'

test_expect_success 'logs: bad arguments are usage errors' '
	test_expect_code 14 kubelaunch logs -n 0 2>err &&
	test_expect_code 14 kubelaunch logs extra 2>err
'

test_expect_success 'every key config accepts reaches start (a walk of the key table)' '
	kubelaunch config keys -o json >keys.json &&
	test "$(jq length keys.json)" -gt 20 &&
	kubelaunch config set driver none &&
	for k in $(jq -r ".[] | select(.flag) | .name" keys.json); do
		test "$k" = driver && continue
		kubelaunch config set "$k" "$(jq -r ".[] | select(.name == \"$k\") | .example" keys.json)" || return 1
		kubelaunch config view -o json >cfg.json &&
		kubelaunch start --dry-run -o json >out || return 1
		tail -n1 out | jq -e --arg k "$k" --slurpfile c cfg.json ".Options[\$k] == \$c[0][\$k]" >/dev/null || {
			echo "config key $k is not what start uses: $(tail -n1 out | jq -c --arg k "$k" ".Options[\$k]")"
			return 1
		}
		kubelaunch config unset "$k" || return 1
	done &&
	kubelaunch config set wait-timeout 15m &&
	kubelaunch start --dry-run >out && grep -q "^  Verifying: waiting for .* (at most 900 s)$" out &&
	kubelaunch config unset wait-timeout && kubelaunch config unset driver &&
	nothing_created kubelaunch
'

test_expect_success 'limits are checked before anything is created, by the table' '
	for fc in "--memory=99999999g 23" "--disk-size=900t 26" "--cpus=100000 29" "--cert-expiration=1ms 14" \
		"--ssh-port=-1 14" "--binary-mirror=notaurl 14" "--apiserver-ips=10.0.0.300 14" \
		"--apiserver-names=a\ b 14" "--wait-timeout=600h 14" "--apiserver-port=0 14"; do
		set -- $fc
		test_expect_code $2 kubelaunch start --driver=none --dry-run "$1" 2>err || return 1
		grep -q "^error: invalid value .* for .${1%%=*}.: " err || return 1
	done &&
	nothing_created kubelaunch
'

test_expect_success 'a hand-edited config.json is checked again, and blamed, not a flag' '
	mkdir -p "$KUBELAUNCH_HOME/config" &&
	for bad in "{\"cpus\": \"two\"}" "{\"wait-timeout\": 2160000000}" "{\"binary-mirror\": \"notaurl\"}" \
		"{\"memory\": true}" "{\"apiserver-ips\": [\"nowhere\"]}"; do
		echo "$bad" >"$KUBELAUNCH_HOME/config/config.json" &&
		test_expect_code 18 kubelaunch start --driver=none --dry-run 2>err || return 1
		grep -q "in .$KUBELAUNCH_HOME/config/config.json." err || return 1
		! grep -q "for .--" err || return 1
	done &&
	echo "{\"memory\": \"2g\"}" >"$KUBELAUNCH_HOME/config/config.json" &&
	kubelaunch start --driver=none --dry-run -o json >out &&
	tail -n1 out | jq -e ".Options.memory == 2048" &&
	rm "$KUBELAUNCH_HOME/config/config.json"
'

test_done
