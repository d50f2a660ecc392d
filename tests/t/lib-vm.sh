# lib-vm.sh: boot kubelaunch guest images under QEMU (TCG) for shell tests.
#
# Source after test-lib.sh. Every machine lives in $TRASH/vm/NAME: qemu.pid, serial.log,
# qmp.sock, port (host port forwarded to the guest's sshd), mac.
#
#   vm_iso                       build (cached) and print the image path
#   vm_key NAME                  make an ed25519 key pair $TRASH/keys/NAME{,.pub}
#   vm_disk PATH SIZE            a sparse raw data disk
#   vm_start NAME ISO            boot; settings from the environment:
#       VM_MEM (2048)  VM_CPUS (2)  VM_DISK (raw data disk, empty: none)
#       VM_KEY (public key file for fw_cfg, empty: no identity)  VM_HOSTNAME  VM_USER
#   vm_wait_ssh NAME KEY [SECS]  wait until a key login succeeds (default 240 s)
#   vm_wait_banner NAME [SECS]   wait until the guest's sshd sends its banner
#   vm_ssh NAME KEY CMD...       run CMD in the guest as the login user
#   vm_login_refused NAME KEY    true if sshd answers but refuses KEY (ssh exits 255)
#   vm_stop NAME                 power off (inside the guest), kill after 60 s
#   vm_kill NAME                 kill QEMU now
#   vm_kill_all                  kill every machine this test started
#
# QEMU runs with -accel tcg (this host has no usable KVM), user-mode networking, the
# sshd port forwarded to a free port on 127.0.0.1, and the identity passed through fw_cfg
# (opt/io.kubelaunch/{authorized_keys,hostname,user}), the way the qemu driver does it.

VM_ROOT=$TRASH/vm
VM_USER=${VM_USER:-kubelaunch}

vm_iso() {
	make -s -f "$KL_SRC/iso/iso.mk" iso | tail -n 1
}

vm_key() {
	mkdir -p "$TRASH/keys"
	rm -f "$TRASH/keys/$1" "$TRASH/keys/$1.pub"
	ssh-keygen -q -t ed25519 -N '' -C "kubelaunch-test-$1" -f "$TRASH/keys/$1"
}

vm_disk() {
	rm -f "$1"
	truncate -s "$2" "$1"
}

# vm_mac: a random locally administered MAC in QEMU's range.
vm_mac() {
	od -An -N3 -tx1 /dev/urandom | awk '{ printf "52:54:00:%s:%s:%s\n", $1, $2, $3 }'
}

vm_start() {
	local name=$1 iso=$2 dir="$VM_ROOT/$1" port mac
	mkdir -p "$dir"
	rm -f "$dir/qemu.pid" "$dir/serial.log" "$dir/qmp.sock"
	port=$(free_port)
	mac=$(vm_mac)
	printf '%s\n' "$port" >"$dir/port"
	printf '%s\n' "$mac" >"$dir/mac"
	set -- -accel tcg -m "${VM_MEM:-2048}" -smp "${VM_CPUS:-2}" \
		-display none -monitor none -serial "file:$dir/serial.log" \
		-qmp "unix:$dir/qmp.sock,server=on,wait=off" \
		-daemonize -pidfile "$dir/qemu.pid" \
		-cdrom "$iso" \
		-netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:22" \
		-device "virtio-net-pci,netdev=net0,mac=$mac"
	if [ -n "${VM_DISK:-}" ]; then
		set -- "$@" -drive "file=$VM_DISK,format=raw,if=virtio,cache=unsafe"
	fi
	if [ -n "${VM_KEY:-}" ]; then
		set -- "$@" -fw_cfg "name=opt/io.kubelaunch/authorized_keys,file=$VM_KEY"
	fi
	if [ -n "${VM_HOSTNAME:-}" ]; then
		printf '%s\n' "$VM_HOSTNAME" >"$dir/hostname"
		set -- "$@" -fw_cfg "name=opt/io.kubelaunch/hostname,file=$dir/hostname"
	fi
	if [ "$VM_USER" != kubelaunch ]; then
		printf '%s\n' "$VM_USER" >"$dir/user"
		set -- "$@" -fw_cfg "name=opt/io.kubelaunch/user,file=$dir/user"
	fi
	date +%s >"$dir/started"
	qemu-system-x86_64 "$@"
}

vm_pid() {
	cat "$VM_ROOT/$1/qemu.pid" 2>/dev/null
}

vm_running() {
	local pid
	pid=$(vm_pid "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

vm_ssh() {
	local name=$1 key=$2
	shift 2
	ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=5 -o LogLevel=ERROR -i "$key" \
		-p "$(cat "$VM_ROOT/$name/port")" "$VM_USER@127.0.0.1" "$@"
}

vm_login_refused() {
	local rc=0
	vm_ssh "$1" "$2" true 2>/dev/null || rc=$?
	if [ "$rc" -ne 255 ]; then
		echo "vm $1: login with $2 exited $rc, wanted a refusal (255)" >&2
		return 1
	fi
	case $(vm_banner "$1") in
	SSH-2.0-*) return 0 ;;
	esac
	echo "vm $1: sshd is not answering" >&2
	return 1
}

# vm_wait_ssh NAME KEY [SECS]: prints the seconds it took.
vm_wait_ssh() {
	local name=$1 key=$2 secs=${3:-240} t0
	t0=$(cat "$VM_ROOT/$name/started")
	while [ $(($(date +%s) - t0)) -lt "$secs" ]; do
		vm_running "$name" || { echo "vm $name: qemu exited" >&2; vm_tail "$name"; return 1; }
		if vm_ssh "$name" "$key" true 2>/dev/null; then
			echo "vm $name: ssh login after $(($(date +%s) - t0)) s"
			return 0
		fi
		sleep 1
	done
	echo "vm $name: no ssh login within $secs s" >&2
	vm_tail "$name"
	return 1
}

# vm_banner NAME: the first line sshd sends, or nothing.
vm_banner() {
	python3 - "$(cat "$VM_ROOT/$1/port")" <<-'EOF'
	import socket, sys
	try:
	    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
	    print(s.makefile("rb").readline().decode(errors="replace").strip())
	except OSError:
	    pass
	EOF
}

vm_wait_banner() {
	local name=$1 secs=${2:-240} t0 banner
	t0=$(cat "$VM_ROOT/$name/started")
	while [ $(($(date +%s) - t0)) -lt "$secs" ]; do
		banner=$(vm_banner "$name")
		case $banner in
		SSH-2.0-*)
			echo "vm $name: '$banner' after $(($(date +%s) - t0)) s"
			return 0 ;;
		esac
		sleep 1
	done
	echo "vm $name: no ssh banner within $secs s" >&2
	vm_tail "$name"
	return 1
}

vm_tail() {
	echo "--- serial log of $1 (last 30 lines)" >&2
	tail -n 30 "$VM_ROOT/$1/serial.log" >&2 2>/dev/null || true
}

vm_wait_exit() {
	local name=$1 secs=$2 i=0
	while vm_running "$name"; do
		[ "$i" -lt "$secs" ] || return 1
		sleep 1
		i=$((i + 1))
	done
	return 0
}

vm_kill() {
	local pid
	pid=$(vm_pid "$1") || return 0
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	vm_wait_exit "$1" 10 || kill -9 "$pid" 2>/dev/null || true
	rm -f "$VM_ROOT/$1/qemu.pid"
}

vm_stop() {
	local name=$1 key=${2:-}
	if [ -n "$key" ]; then
		vm_ssh "$name" "$key" sudo systemctl poweroff 2>/dev/null || true
	fi
	vm_wait_exit "$name" 60 || vm_kill "$name"
	rm -f "$VM_ROOT/$name/qemu.pid"
}

vm_kill_all() {
	local d
	for d in "$VM_ROOT"/*/; do
		[ -d "$d" ] && vm_kill "$(basename "$d")"
	done
	return 0
}
