#!/bin/sh
# iso-boot.sh: boot-to-SSH of the kubelaunch guest image against a plain Debian disk.
#
#   bench/iso-boot.sh [RUNS]      (default 3 runs of each, interleaved)
#
# Time is measured from QEMU's launch until a key login succeeds ("ssh true"). Both
# guests get the same memory, CPUs, QEMU accelerator (TCG) and virtio NIC:
#   kubelaunch   the ISO (make -f iso/iso.mk iso) as a CD-ROM, a blank sparse 20G data disk
#                (first boot: formats it), identity through fw_cfg
#   restart      the ISO again with the data disk of the previous run (a machine restart)
#   debian       a plain Debian bookworm disk (mmdebstrap, default "important" package set
#                as debootstrap installs it, plus linux-image-amd64 and openssh-server,
#                DHCP by ifupdown), booted with -kernel/-initrd from the disk's own kernel
#                and initramfs (no bootloader: this favours Debian). Built once, cached in
#                $KL_DEV_CACHE/bench/.
# Prints each run, the medians, the ratio, then systemd-analyze from inside our guest.
set -eu
PATH=$PATH:/usr/sbin:/sbin

RUNS=${1:-3}
MEM=${BENCH_MEM:-2048}
CPUS=${BENCH_CPUS:-2}
SRC=$(cd "$(dirname "$0")/.." && pwd)
KL_DEV_CACHE=${KL_DEV_CACHE:-/var/cache/kubelaunch-dev}
BASE=$KL_DEV_CACHE/bench/debian-bookworm-v1
WORK=$(mktemp -d /tmp/kl-iso-boot.XXXXXX)
QEMU_PID=

cleanup() {
	[ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

now() { date +%s.%N; }

# build_base: the plain Debian disk, once. Its root key is the bench key.
build_base() {
	[ -f "$BASE/complete" ] && return 0
	echo "building the plain Debian disk in $BASE (once)" >&2
	rm -rf "$BASE"
	mkdir -p "$BASE"
	ssh-keygen -q -t ed25519 -N '' -C kl-bench -f "$BASE/key"
	# shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell
	nice -n 10 mmdebstrap --quiet --mode=root --variant=important \
		--include=linux-image-amd64,openssh-server,ifupdown,isc-dhcp-client \
		--customize-hook='mkdir -p "$1/root/.ssh"' \
		--customize-hook="cp '$BASE/key.pub' \"\$1/root/.ssh/authorized_keys\"" \
		--customize-hook='printf "auto lo\niface lo inet loopback\nauto eth0\niface eth0 inet dhcp\n" >"$1/etc/network/interfaces"' \
		--customize-hook='echo debian >"$1/etc/hostname"; echo "/dev/vda / ext4 defaults 0 1" >"$1/etc/fstab"' \
		--customize-hook="cp \"\$1\"/boot/vmlinuz-* '$BASE/vmlinuz'; cp \"\$1\"/boot/initrd.img-* '$BASE/initrd.img'" \
		bookworm "$BASE/rootfs"
	truncate -s 4G "$BASE/disk.raw"
	mkfs.ext4 -q -F -L debian -d "$BASE/rootfs" "$BASE/disk.raw"
	rm -rf "$BASE/rootfs"
	: >"$BASE/complete"
}

# wait_ssh PORT KEY USER T0: print seconds since T0 when "ssh true" first succeeds.
wait_ssh() {
	port=$1 key=$2 user=$3 t0=$4
	for _ in $(seq 1 1200); do
		if ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			-o ConnectTimeout=3 -o LogLevel=ERROR -i "$key" -p "$port" "$user@127.0.0.1" true \
			2>/dev/null; then
			echo "$(now) - $t0" | bc
			return 0
		fi
		sleep 0.2
	done
	echo "no ssh after 240 s" >&2
	return 1
}

gssh() {
	ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -i "$WORK/key" -p "$PORT" kubelaunch@127.0.0.1 "$@"
}

# run KIND: boot one guest, write its boot-to-SSH seconds to $WORK/last, leave it
# running as QEMU_PID.
run() {
	kind=$1
	PORT=$(free_port)
	common="-accel tcg -m $MEM -smp $CPUS -display none -monitor none -daemonize
		-pidfile $WORK/qemu.pid -serial file:$WORK/serial-$kind.log
		-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-:22 -device virtio-net-pci,netdev=n0"
	case $kind in
	kubelaunch | restart)
		[ "$kind" = restart ] || { rm -f "$WORK/data.raw"; truncate -s 20G "$WORK/data.raw"; }
		t0=$(now)
		# shellcheck disable=SC2086 # $common is a word list
		qemu-system-x86_64 $common -cdrom "$ISO" \
			-drive "file=$WORK/data.raw,format=raw,if=virtio" \
			-fw_cfg "name=opt/io.kubelaunch/authorized_keys,file=$WORK/key.pub"
		key=$WORK/key user=kubelaunch ;;
	debian)
		rm -f "$WORK/debian.qcow2"
		qemu-img create -q -f qcow2 -F raw -b "$BASE/disk.raw" "$WORK/debian.qcow2"
		t0=$(now)
		# shellcheck disable=SC2086
		qemu-system-x86_64 $common -kernel "$BASE/vmlinuz" -initrd "$BASE/initrd.img" \
			-append "root=/dev/vda rw console=ttyS0,115200n8 quiet net.ifnames=0" \
			-drive "file=$WORK/debian.qcow2,format=qcow2,if=virtio"
		key=$BASE/key user=root ;;
	esac
	QEMU_PID=$(cat "$WORK/qemu.pid")
	wait_ssh "$PORT" "$key" "$user" "$t0" >"$WORK/last"
}

# stop KIND: our guest powers off cleanly (its data disk is reused by the restart run);
# the Debian disk is a throwaway overlay.
stop() {
	[ -n "$QEMU_PID" ] || return 0
	[ "$1" = debian ] || gssh sudo systemctl poweroff >/dev/null 2>&1 || true
	for _ in $(seq 1 300); do
		kill -0 "$QEMU_PID" 2>/dev/null || break
		[ "$1" != debian ] || kill "$QEMU_PID" 2>/dev/null || true
		sleep 0.2
	done
	kill -9 "$QEMU_PID" 2>/dev/null || true
	QEMU_PID=
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ISO=$(make -s -f "$SRC/iso/iso.mk" iso | tail -n 1)
build_base
ssh-keygen -q -t ed25519 -N '' -f "$WORK/key"

echo "# boot to SSH, QEMU TCG, $CPUS vCPUs, $MEM MiB; host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "# image: $ISO ($(du -m --apparent-size "$ISO" | cut -f1) MiB)"
for i in $(seq 1 "$RUNS"); do
	for kind in kubelaunch restart debian; do
		run "$kind"
		if [ "$kind" = restart ] && [ "$i" = "$RUNS" ]; then
			gssh 'systemd-analyze; systemd-analyze blame | head -n 15;
				systemd-analyze critical-chain ssh.service' >"$WORK/analyze" 2>&1 || true
		fi
		stop "$kind"
		printf '%-10s run %s: %s s\n' "$kind" "$i" "$(cat "$WORK/last")"
		cat "$WORK/last" >>"$WORK/$kind.times"
	done
done
k=$(median <"$WORK/kubelaunch.times")
r=$(median <"$WORK/restart.times")
d=$(median <"$WORK/debian.times")
echo "median boot-to-SSH: kubelaunch first boot ${k} s, kubelaunch restart ${r} s, plain Debian ${d} s"
echo "ratio kubelaunch/debian: first boot $(echo "scale=2; $k / $d" | bc), restart $(echo "scale=2; $r / $d" | bc)"
echo "# inside the kubelaunch guest (last restart run):"
sed 's/^/  /' "$WORK/analyze"
