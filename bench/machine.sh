#!/usr/bin/env bash
# bench/machine.sh: `start --no-kubernetes` to a working SSH login with the qemu driver
# (and kvm2 when libvirtd answers), against bare QEMU booting the same image with the same
# memory and CPUs to a key login, side by side, alternating, in one run. Also `status` on
# a running machine, `stop` and `delete`.
# Environment: KL_BIN; BENCH_RUNS (default 3); BENCH_MEM (2048); BENCH_CPUS (2).
set -eu
: "${KL_BIN:?}" "${KL_SRC:?}"
RUNS=${BENCH_RUNS:-3} MEM=${BENCH_MEM:-2048} CPUS=${BENCH_CPUS:-2}
work=$(mktemp -d)
export KUBELAUNCH_HOME=$work/home
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	"$KL_BIN" -p bench delete >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

ISO=$(make -s -C "$KL_SRC" iso | tail -n1)
ssh-keygen -q -t ed25519 -N '' -f "$work/key"
. "$KL_SRC/bench/lib.sh"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Bare QEMU: the same machine type, image, identity and forwards the driver uses.
bare_boot() {
	local port t0 dir=$work/bare.vm
	rm -rf "$dir"; mkdir -p "$dir"
	truncate -s 20G "$dir/disk.raw"
	port=$(free_port)
	t0=$(now)
	qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp "$CPUS" -m "$MEM" -nodefaults -display none \
		-drive "file=$ISO,media=cdrom,readonly=on,if=ide,index=0" \
		-drive "file=$dir/disk.raw,format=raw,if=virtio,cache=unsafe" \
		-netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=net0 \
		-device virtio-rng-pci \
		-fw_cfg "name=opt/io.kubelaunch/authorized_keys,file=$work/key.pub" \
		-serial "file:$dir/serial.log" -pidfile "$dir/pid" -daemonize
	pids="$pids $(cat "$dir/pid")"
	until ssh -q -i "$work/key" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=2 -o BatchMode=yes kubelaunch@127.0.0.1 true 2>/dev/null; do
		sleep 0.2
	done
	awk "BEGIN{print $(now) - $t0}"
	kill "$(cat "$dir/pid")"
}

kl_boot() {
	local driver=$1 t0
	t0=$(now)
	"$KL_BIN" -p bench start --driver="$driver" --no-kubernetes --memory "$MEM" --cpus "$CPUS" \
		--iso-url "file://$ISO" --wait-timeout 10m >/dev/null 2>&1
	awk "BEGIN{print $(now) - $t0}"
}

timed() {
	local t0
	t0=$(now)
	"$@" >/dev/null 2>&1 || true
	awk "BEGIN{print $(now) - $t0}"
}

drivers=qemu
if virsh -c qemu:///system version >/dev/null 2>&1; then
	drivers="qemu kvm2"
fi
: >"$work/bare"
for d in $drivers; do : >"$work/$d"; : >"$work/$d.stop"; : >"$work/$d.delete"; : >"$work/$d.restart"; done
for i in $(seq "$RUNS"); do
	bare_boot >>"$work/bare"
	for d in $drivers; do
		kl_boot "$d" >>"$work/$d"
		if [ "$i" = 1 ]; then
			hyperfine -N --warmup 3 --runs 30 --export-json "$work/status.json" \
				"$KL_BIN -p bench status" >/dev/null 2>&1 || true
		fi
		timed "$KL_BIN" -p bench stop >>"$work/$d.stop"
		kl_boot "$d" >>"$work/$d.restart"
		timed "$KL_BIN" -p bench delete >>"$work/$d.delete"
	done
done
b=$(median <"$work/bare")
printf 'bare QEMU boot to key login: median %.1f s over %s runs (%s)\n' "$b" "$RUNS" "$(tr '\n' ' ' <"$work/bare")"
for d in $drivers; do
	k=$(median <"$work/$d")
	printf '%s: start --no-kubernetes to SSH: median %.1f s (%s); ratio to bare QEMU %.2f (target <= 1.10)\n' \
		"$d" "$k" "$(tr '\n' ' ' <"$work/$d")" "$(awk "BEGIN{print $k / $b}")"
	printf '%s: restart (stopped machine) to SSH: median %.1f s\n' "$d" "$(median <"$work/$d.restart")"
	printf '%s: stop: median %.2f s; delete: median %.2f s\n' "$d" "$(median <"$work/$d.stop")" "$(median <"$work/$d.delete")"
done
if [ -s "$work/status.json" ]; then
	jq -r '.results[0] | "status on a running machine: median \(.median * 1000 | . * 10 | round / 10) ms (target < 50 ms)"' "$work/status.json"
fi
