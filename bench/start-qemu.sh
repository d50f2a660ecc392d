#!/usr/bin/env bash
# bench/start-qemu.sh: `kubelaunch start --driver=qemu` (software emulation on a host
# without usable KVM) from nothing to DNS answering, with --preload=false (the archives
# imported in the guest) and from the preload (the default), side by side with the plain
# baseline: bare QEMU booting the same image with the same memory and CPUs, the bench's
# binaries and control-plane images shared over 9p as kubelaunch shares them, and the test
# bench's scripted plain `kubeadm init` (tests/testbench/kubeadm-baseline.sh) run in the
# guest, to DNS answering. Then a restart of the stopped VM, with the phase breakdown of each.
# Environment: KL_BIN, KL_SRC; BENCH_RUNS (default 1: a run takes ~25 minutes here);
# BENCH_MEM (MiB, default 6144), BENCH_CPUS (2).
set -eu
: "${KL_BIN:?}" "${KL_SRC:?}"
RUNS=${BENCH_RUNS:-1} MEM=${BENCH_MEM:-6144} CPUS=${BENCH_CPUS:-2}
make -s -C "$KL_SRC" testbench >/dev/null
ISO=$(make -s -C "$KL_SRC" iso | tail -n1)
eval "$(make -s -C "$KL_SRC" testbench-env)"
work=$(mktemp -d)
export KUBELAUNCH_HOME=$work/home HOME=$work/userhome
mkdir -p "$HOME"

. "$KL_SRC/bench/lib.sh"
serve_tb_mirror "$work"
bare_pid=
cleanup() {
	[ -z "$bare_pid" ] || kill "$bare_pid" 2>/dev/null || true
	"$KL_BIN" delete >/dev/null 2>&1 || true
	kill "$MIRROR_PID" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

START=("$KL_BIN" start --driver=qemu --network=isolated --memory "$MEM" --cpus "$CPUS" --kubernetes-version "$KL_TB_VERSION"
	--binary-mirror "$MIRROR" --image-bundle "$KL_TB_IMAGES" --dns-upstream=none --wait-timeout 30m -v=1)
# The binaries and the preload (the store and its disk image) are cached before anything
# is timed, as a user's would be.
"$KL_BIN" start --driver=qemu --kubernetes-version "$KL_TB_VERSION" --binary-mirror "$MIRROR" \
	--image-bundle "$KL_TB_IMAGES" --download-only >/dev/null

# The start returns when DNS answers in the cluster (its default --wait=all).
run_one() { # NAME [FLAG...]: time a start
	local name=$1 t0
	shift
	t0=$(now)
	"${START[@]}" "$@" >"$work/$name.out" 2>&1
	awk "BEGIN{print $(now) - $t0}" >>"$work/$name"
	grep -o "phase [^:]*: [0-9]* ms\|waited [0-9]* ms for .*" "$work/$name.out" >"$work/phases.$name"
}
# The plain baseline: QEMU as the driver starts it (machine type, CPU model, data disk,
# forwards, key by fw_cfg), two read-only 9p shares (the bench's Kubernetes build and
# this script's directory), then `kubeadm-baseline.sh up` as root in the guest, which
# returns when DNS answers. Its state goes on the data disk, as a cluster's does.
ssh-keygen -q -t ed25519 -N '' -f "$work/key"
guest() {
	ssh -q -i "$work/key" -p "$bare_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=2 -o BatchMode=yes kubelaunch@127.0.0.1 "$@"
}
vm_baseline() {
	local dir=$work/bare.vm t0
	rm -rf "$dir"; mkdir -p "$dir"
	truncate -s 20G "$dir/disk.raw"
	bare_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	t0=$(now)
	qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp "$CPUS" -m "$MEM" -nodefaults -display none \
		-drive "file=$ISO,media=cdrom,readonly=on,if=ide,index=0" \
		-drive "file=$dir/disk.raw,format=raw,if=virtio,cache=unsafe,discard=unmap" \
		-virtfs "local,path=$KL_TB_DIR,mount_tag=tb,security_model=none,readonly=on" \
		-virtfs "local,path=$KL_SRC/tests/testbench,mount_tag=tbsrc,security_model=none,readonly=on" \
		-netdev "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:$bare_port-:22" -device virtio-net-pci,netdev=net0 \
		-device virtio-rng-pci -fw_cfg "name=opt/io.kubelaunch/authorized_keys,file=$work/key.pub" \
		-serial "file:$dir/serial.log" -pidfile "$dir/pid" -daemonize
	bare_pid=$(cat "$dir/pid")
	until guest true 2>/dev/null; do sleep 0.2; done
	echo "boot to SSH: $(awk "BEGIN{print $(now) - $t0}") s" >"$work/phases.baseline"
	guest sudo sh -c "'mkdir -p /mnt/tb /mnt/tbsrc && modprobe 9pnet_virtio 2>/dev/null;
		mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288 tb /mnt/tb &&
		mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288 tbsrc /mnt/tbsrc &&
		KL_TB_BIN=/mnt/tb/bin KL_TB_K8S_IMAGES=/mnt/tb/images KL_BASELINE_STATE=/var/lib/kubelaunch/baseline \
		KL_BASELINE_TIMEOUT=1800 /mnt/tbsrc/kubeadm-baseline.sh up'" >"$work/baseline.out" 2>&1
	awk "BEGIN{print $(now) - $t0}" >>"$work/baseline"
	grep -v '^kubeadm-baseline: (times' "$work/baseline.out" | sed 's/^kubeadm-baseline: //' >>"$work/phases.baseline"
	kill "$bare_pid"
	bare_pid=
}

: >"$work/baseline"
for _ in $(seq "$RUNS"); do
	vm_baseline
	run_one import --preload=false
	"$KL_BIN" delete >/dev/null
	run_one first
	# `status` of the running cluster, answered from the host (QMP and the API client).
	sleep 30
	hyperfine -N --warmup 2 --runs 20 --export-json "$work/status.json" "$KL_BIN status" >/dev/null 2>&1 || true
	jq -r '.results[0] | .times[]' "$work/status.json" >>"$work/status" 2>/dev/null || true
	"$KL_BIN" stop >/dev/null
	run_one restart
	"$KL_BIN" delete >/dev/null
done
for n in baseline import first restart; do
	printf '%-8s start to DNS answering: %.1f s (median of %s)\n' "$n" "$(median <"$work/$n")" "$RUNS"
done
if [ -s "$work/status" ]; then
	printf 'status of the running cluster: %.0f ms (median of %s; target < 100 ms)\n' \
		"$(awk '{print $1 * 1000}' "$work/status" | median)" "$(wc -l <"$work/status")"
fi
printf 'ratio preload/--preload=false: %.2f (target <= 0.6)\n' \
	"$(awk "BEGIN{print $(median <"$work/first") / $(median <"$work/import")}")"
printf 'ratio first start/plain VM baseline: %.2f (target <= 1.0)\n' \
	"$(awk "BEGIN{print $(median <"$work/first") / $(median <"$work/baseline")}")"
printf 'ratio restart/first start: %.2f (target <= 0.4)\n' \
	"$(awk "BEGIN{print $(median <"$work/restart") / $(median <"$work/first")}")"
echo "phases of the plain baseline (last run; kubeadm-baseline.sh's times from kubeadm init):"; sed 's/^/  /' "$work/phases.baseline"
echo "phases of a start with --preload=false (last run):"; sed 's/^/  /' "$work/phases.import"
echo "phases of a first start (last run):"; sed 's/^/  /' "$work/phases.first"
echo "phases of a restart (last run):"; sed 's/^/  /' "$work/phases.restart"
