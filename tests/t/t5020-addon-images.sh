#!/bin/sh
# slow: builds the test bench (cold: see docs/testbench.md); needs root (a private containerd).
# t5020: the test bench's addon images (tests/testbench/addons.sh): one bundle
# with the control plane, every archive imports into a fresh containerd
# namespace under its full name, each upstream program runs from its image
# and prints its version, and the stand-ins serve their page.

. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
testbench_or_skip
if [ "$(id -u)" -ne 0 ]; then
	test_skip_or_fail "a private containerd needs root"
	test_done
	exit
fi

# The images and their names, as issue 17 and docs/testbench.md give them: the real
# programs under their upstream references, anything else under kubelaunch.test/.
cat >"$TRASH/images" <<'EOF'
AGNHOST registry.k8s.io/e2e-test-images/agnhost:2.66.1
BUSYBOX kubelaunch.test/busybox:1.35.0
DASHBOARD_STANDIN kubelaunch.test/dashboard-standin:v2.7.0
HEADLAMP_STANDIN kubelaunch.test/headlamp-standin:1
LOCAL_PATH_PROVISIONER docker.io/rancher/local-path-provisioner:v0.0.30
METRICS_SCRAPER_STANDIN kubelaunch.test/dashboard-metrics-scraper-standin:v1.0.8
METRICS_SERVER registry.k8s.io/metrics-server/metrics-server:v0.9.0
REGISTRY docker.io/library/registry:3.1.1
TRAEFIK docker.io/library/traefik:v3.6.12
EOF

ctd_start || { test_skip_or_fail "containerd did not start: $(tail -n 3 "$CTD/log")"; test_done; exit; }

# var NAME: the value of the variable named NAME.
var() { eval "printf '%s\n' \"\${$1:-}\""; }

test_expect_success 'testbench-env names each image and its archive in the bundle' '
	while read -r v ref; do
		test "$(var "KL_TB_IMG_$v")" = "$ref" &&
		test -s "$(var "KL_TB_TAR_$v")" &&
		test "$(dirname "$(var "KL_TB_TAR_$v")")" = "$KL_TB_IMAGES" || { echo "$v"; return 1; }
	done <"$TRASH/images"
'

test_expect_success 'the bundle holds the control plane too, as hard links, and lists every image' '
	for f in "$KL_TB_K8S_IMAGES"/*.tar; do
		test "$f" -ef "$KL_TB_IMAGES/${f##*/}" || return 1
	done &&
	{ cat "$KL_TB_K8S_IMAGES/images.list"; cut -d" " -f2 "$TRASH/images"; } | sort >expect &&
	sort "$KL_TB_IMAGES/images.list" >actual &&
	test_cmp expect actual &&
	test "$(ls "$KL_TB_IMAGES"/*.tar | wc -l)" -eq "$(wc -l <expect)"
'

test_expect_success 'the archives are reproducible: sorted entries, fixed times, root owner' '
	while read -r v ref; do
		f=$(var "KL_TB_TAR_$v") &&
		tar -tf "$f" >names && LC_ALL=C sort -c names &&
		tar -tvf "$f" --numeric-owner >long &&
		! grep -v " 0/0 .* 1970-01-01 00:00 " long &&
		tar -xOf "$f" index.json | jq -r ".manifests[0].digest" | cut -d: -f2 >m &&
		tar -xOf "$f" "blobs/sha256/$(cat m)" | jq -r .config.digest | cut -d: -f2 >c &&
		tar -xOf "$f" "blobs/sha256/$(cat c)" | jq -r ".created, .history[].created" | sort -u >t &&
		echo 1970-01-01T00:00:00Z >expect && test_cmp expect t || { echo "$v"; return 1; }
	done <"$TRASH/images"
'

test_expect_success 'skopeo reads every archive as an OCI image for linux/amd64' '
	while read -r v ref; do
		skopeo inspect "oci-archive:$(var "KL_TB_TAR_$v")" >i.json &&
		test "$(jq -r ".Architecture + \"/\" + .Os" i.json)" = amd64/linux || { echo "$v"; return 1; }
	done <"$TRASH/images"
'

test_expect_success 'every archive imports into a fresh namespace under its full name' '
	test -z "$(ctd images ls -q)" &&
	while read -r v ref; do
		ctd images import "$(var "KL_TB_TAR_$v")" >/dev/null || return 1
	done <"$TRASH/images" &&
	ctd images ls -q | sort >actual &&
	cut -d" " -f2 "$TRASH/images" | sort >expect &&
	test_cmp expect actual
'

# run NAME VAR ARGS...: ARGS as the process of a container of VAR's image.
run() {
	local name=$1 v=$2
	shift 2
	ctd run --rm "$(var "KL_TB_IMG_$v")" "t5020-$name" "$@"
}

test_expect_success 'traefik version prints v3.6.12 as upstream stamps it' '
	run traefik TRAEFIK traefik version >out && cat out &&
	grep -E "^Version: +3\.6\.12$" out &&
	grep -E "^Codename: +ramequin$" out &&
	grep -E "^Built: +20[0-9-]+T" out
'

test_expect_success 'registry --version prints 3.1.1' '
	run registry REGISTRY registry --version >out && cat out &&
	grep -x "registry github.com/distribution/distribution/v3 3.1.1" out
'

test_expect_success 'metrics-server --help shows its usage, --version v0.9.0' '
	run ms1 METRICS_SERVER /metrics-server --help >out && cat out &&
	grep -e "--kubelet-insecure-tls" out &&
	run ms2 METRICS_SERVER /metrics-server --version >out && cat out &&
	grep -x "v0.9.0" out
'

test_expect_success 'local-path-provisioner --version prints v0.0.30' '
	run lpp LOCAL_PATH_PROVISIONER local-path-provisioner --version >out && cat out &&
	grep -x "local-path-provisioner version v0.0.30" out
'

test_expect_success 'agnhost --help shows its subcommands, --version 2.66.1' '
	run ag1 AGNHOST /agnhost --help >out && cat out &&
	grep -E "^ +netexec " out && grep -E "^ +serve-hostname " out &&
	run ag2 AGNHOST /agnhost --version >out && cat out &&
	grep -x "agnhost version 2.66.1" out &&
	run ag3 AGNHOST sh -c "nc --help 2>&1; id user-defined-in-image" >out && cat out &&
	grep "uid=1000(user-defined-in-image)" out && grep "group-defined-in-image" out
'

test_expect_success 'busybox is Debian busybox-static with a shell' '
	run bb BUSYBOX sh -c "busybox | head -n 1; echo \$((6 * 7))" >out && cat out &&
	grep -E "^BusyBox v1\.35\.0 \(Debian 1:1\.35\.0-" out &&
	grep -x 42 out
'

test_expect_success 'the registry image serves the registry API with its default command' '
	ctd run -d "$KL_TB_IMG_REGISTRY" t5020-reg >/dev/null &&
	ctd_netns_curl t5020-reg http://127.0.0.1:5000/v2/ >out &&
	cat out && test "$(cat out)" = "{}"
'

# standin VAR ID PORT WHAT ENTRY ARGS...: the stand-in's entrypoint ENTRY takes ARGS
# (what its upstream manifest passes), ignores them and serves a page saying what
# it stands in for.
standin() {
	local v=$1 id=$2 port=$3 what=$4
	shift 4
	ctd run -d "$(var "KL_TB_IMG_$v")" "$id" "$@" >/dev/null &&
	ctd_netns_curl "$id" "http://127.0.0.1:$port/" >page &&
	grep "kubelaunch test stand-in for $what" page
}

test_expect_success 'the Dashboard stand-in serves its page on 9090, the Dashboard arguments ignored' '
	standin DASHBOARD_STANDIN t5020-dash 9090 "the Kubernetes Dashboard v2.7.0" \
		/dashboard --namespace=kubernetes-dashboard --enable-skip-login --disable-settings-authorizer
'

test_expect_success 'the metrics scraper stand-in serves its page on 8000' '
	standin METRICS_SCRAPER_STANDIN t5020-scraper 8000 "the Kubernetes Dashboard metrics scraper v1.0.8" \
		/metrics-sidecar
'

test_expect_success 'the Headlamp stand-in serves its page on 4466' '
	standin HEADLAMP_STANDIN t5020-headlamp 4466 Headlamp \
		/headlamp/headlamp-server -in-cluster -plugins-dir=/headlamp/plugins
'

# layer_file VAR PATH: PATH from the (one) layer of VAR's archive, into ./PATH's basename.
layer_file() {
	local f m l
	f=$(var "KL_TB_TAR_$1")
	m=$(tar -xOf "$f" index.json | jq -r ".manifests[0].digest" | cut -d: -f2)
	l=$(tar -xOf "$f" "blobs/sha256/$m" | jq -r ".layers[0].digest" | cut -d: -f2)
	tar -xOf "$f" "blobs/sha256/$l" | tar -xzOf - "$2" >"${2##*/}"
}

test_expect_success 'the Go programs are static and stripped' '
	for spec in TRAEFIK:usr/local/bin/traefik REGISTRY:bin/registry METRICS_SERVER:metrics-server \
		LOCAL_PATH_PROVISIONER:usr/bin/local-path-provisioner AGNHOST:agnhost; do
		layer_file "${spec%%:*}" "${spec#*:}" &&
		b=${spec##*/} &&
		! readelf -lW "$b" | grep -q INTERP &&
		! readelf -SW "$b" | grep -q "\.symtab" || { echo "$b"; return 1; }
	done
'

test_done
