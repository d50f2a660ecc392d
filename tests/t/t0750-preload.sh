#!/usr/bin/env bash
# slow: the preload (the test bench's image bundle as a containerd store built once on
# this host with its containerd) and the data disk a new VM starts from; built by
# `start --download-only`, so no machine boots here. The none driver's start from it is
# in t0700, the qemu driver's in t0730.
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
testbench_or_skip
serve_mirror
FETCH="kubelaunch start --download-only --kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR"
STORES=$KUBELAUNCH_HOME/cache/preload

test_expect_success 'the first --download-only builds the store, the next one reuses it' '
	$FETCH --driver=none --image-bundle "$KL_TB_IMAGES" >out &&
	grep -q "Built the preloaded images ($(ls "$KL_TB_IMAGES"/*.tar | wc -l) archives)" out &&
	test "$(ls "$STORES" | grep -vc "\.lock$")" = 1 &&
	store=$(ls -d "$STORES"/*[!k]) && test -e "$store/complete" &&
	$FETCH --driver=none --image-bundle "$KL_TB_IMAGES" >out &&
	grep -q "Using the preloaded images" out &&
	test "$(ls "$STORES" | grep -vc "\.lock$")" = 1
'

# A private containerd on a copy of the store (as the none driver installs it) lists
# every image the bundle names, unpacked for the overlayfs snapshotter.
test_expect_success 'the store holds every image of the bundle, unpacked' '
	store=$(ls -d "$STORES"/*[!k]) &&
	cp -al "$store/tree/var/lib/containerd" "$TRASH/root" &&
	find "$store/tree/var/lib/containerd" -name "*.db" -printf "%P\n" >dbs &&
	while read -r db; do cp --remove-destination "$store/tree/var/lib/containerd/$db" "$TRASH/root/$db" || exit; done <dbs &&
	printf "version = 2\nroot = \"%s\"\nstate = \"%s\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = \"%s\"\n" \
		"$TRASH/root" "$TRASH/state" "$TRASH/c.sock" >c.toml &&
	{ containerd --config c.toml >c.log 2>&1 & echo $! >c.pid; } &&
	test_when_finished "kill \$(cat $TRASH/c.pid)" &&
	for _ in $(seq 100); do ctr --address "$TRASH/c.sock" version >/dev/null 2>&1 && break; sleep 0.1; done &&
	ctr --address "$TRASH/c.sock" -n k8s.io images ls -q >have &&
	while read -r ref; do grep -qx "$ref" have || { echo "missing $ref"; exit 1; }; done <"$KL_TB_IMAGES/images.list" &&
	test "$(ctr --address "$TRASH/c.sock" -n k8s.io snapshots --snapshotter overlayfs ls | wc -l)" -gt 1
'

test_expect_success 'a new qemu machine gets an ext4 data disk image of the store' '
	$FETCH -p vm --driver=qemu --disk-size 4g --image-bundle "$KL_TB_IMAGES" >out &&
	grep -q "the preloaded images (.*) as the data disk.s base" out &&
	store=$(ls -d "$STORES"/*[!k]) && img=$store/data-4096m.raw &&
	test "$(stat -c %s "$img")" = $((4096 * 1024 * 1024)) &&
	test "$(stat -c %a "$img")" = 444 &&
	test "$(blkid -o value -s LABEL "$img")" = kubelaunch-data &&
	debugfs -R "ls -p /var/lib/containerd/io.containerd.metadata.v1.bolt" "$img" 2>/dev/null | grep -q /meta.db/
'

test_expect_success 'cache list shows each store and its space' '
	n=$(ls "$KL_TB_IMAGES"/*.tar | wc -l) &&
	kubelaunch cache list >list &&
	grep -q "^preload .* ($n images, 1 disk image)$" list &&
	grep -q "^total: 3 files, 1 preload, " list &&
	kubelaunch cache list -o json | jq -e ".preload[0].archives == $n and .preload[0].size > 0" >/dev/null
'

test_expect_success 'a changed bundle is another store' '
	mkdir bundle && cp -p "$KL_TB_IMAGES"/* bundle/ &&
	touch -d "2001-01-01" bundle/pause_*.tar &&
	$FETCH --driver=none --image-bundle bundle >out &&
	grep -q "Built the preloaded images" out &&
	test "$(ls "$STORES" | grep -vc "\.lock$")" = 2
'

test_expect_success '--preload=false builds and uses none' '
	rm -rf "$STORES" &&
	$FETCH --driver=none --image-bundle "$KL_TB_IMAGES" --preload=false >out &&
	! grep -q "preloaded" out && test ! -e "$STORES"
'

test_done
