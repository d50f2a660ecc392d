#!/usr/bin/env bash
# bench/ssh.sh: 100 `true` commands over one kubelaunch SSH connection (libssh, one
# channel per command) against OpenSSH's client with and without connection sharing
# (ControlMaster), all to a local sshd on a free loopback port.
set -eu
KL_SRC=${KL_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
KL_UNIT=${KL_UNIT:-$KL_SRC/build/default/unit-tests}
N=100
if [ ! -x "$KL_UNIT" ]; then
	echo "bench/ssh.sh: build the unit binary first: make $KL_UNIT" >&2
	exit 1
fi
dir=$(mktemp -d)
sshd_pid=
cleanup() {
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] && [ ! -d /run/sshd ] && mkdir -p -m 0755 /run/sshd
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=$(id -un)
ssh-keygen -q -t ed25519 -N '' -f "$dir/host"
ssh-keygen -q -t ed25519 -N '' -f "$dir/id"
cp "$dir/id.pub" "$dir/authorized_keys"
cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host
AuthorizedKeysFile $dir/authorized_keys
PidFile $dir/sshd.pid
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
PrintMotd no
MaxStartups 200
EOF
/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$dir/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do grep -q "Server listening" "$dir/sshd.log" && break; sleep 0.05; done

ms() { echo $(( $(date +%s%N) / 1000000 )); }
ssh_opts=(-i "$dir/id" -p "$port" -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile="$dir/known_hosts" -o LogLevel=ERROR)

# kubelaunch: connect once, then N channels.
out=$(KL_BENCH=1 KL_TEST_SSH_HOST=127.0.0.1 KL_TEST_SSH_PORT=$port KL_TEST_SSH_USER=$user \
	KL_TEST_SSH_KEY=$dir/id KL_TEST_SSH_KNOWN_HOSTS=$dir/pins "$KL_UNIT" ssh_bench_100_true)
line=$(echo "$out" | grep '^# bench: ') || { echo "$out"; exit 1; }
kl_connect=$(echo "$line" | sed -E 's/.*connect ([0-9]+) ms.*/\1/')
kl_run=$(echo "$line" | sed -E 's/.*connection: ([0-9]+) ms.*/\1/')
kl_total=$((kl_connect + kl_run))

# OpenSSH, a new connection per command.
t0=$(ms)
for _ in $(seq $N); do ssh "${ssh_opts[@]}" "$user@127.0.0.1" true; done
plain=$(( $(ms) - t0 ))

# OpenSSH with a shared master connection: the first command sets it up.
cm=(-o ControlMaster=auto -o ControlPath="$dir/cm-%C" -o ControlPersist=60)
t0=$(ms)
for _ in $(seq $N); do ssh "${ssh_opts[@]}" "${cm[@]}" "$user@127.0.0.1" true; done
mux=$(( $(ms) - t0 ))
ssh "${ssh_opts[@]}" "${cm[@]}" -O exit "$user@127.0.0.1" 2>/dev/null || true

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "kubelaunch (libssh, one connection): connect ${kl_connect} ms + $N x true ${kl_run} ms = ${kl_total} ms ($(ratio "$kl_run" $N) ms per command)"
echo "ssh with ControlMaster (first sets up the master): $N x true ${mux} ms ($(ratio "$mux" $N) ms per command)"
echo "ssh, a connection per command: $N x true ${plain} ms ($(ratio "$plain" $N) ms per command)"
echo "ratio: ControlMaster / kubelaunch = $(ratio "$mux" "$kl_total")x; plain ssh / kubelaunch = $(ratio "$plain" "$kl_total")x"
