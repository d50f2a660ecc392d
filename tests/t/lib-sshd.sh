# lib-sshd.sh: a real OpenSSH sshd on 127.0.0.1 for tests, on a free port.
# Test bodies run in subshells, so what later tests need lives in files:
#   start_sshd DIR   starts sshd (host key DIR/host_ed25519, authorized key DIR/id_ed25519);
#                    writes DIR/port and DIR/pid
#   stop_sshd DIR    ends it by its PID
#   sshd_port DIR    prints its port
start_sshd() {
	local dir=$1 port pid
	mkdir -p "$dir" /run/sshd
	[ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
	[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
	cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
	port=$(free_port)
	cat >"$dir/sshd_config" <<-EOF
	ListenAddress 127.0.0.1
	Port $port
	HostKey $dir/host_ed25519
	AuthorizedKeysFile $dir/authorized_keys
	PidFile none
	StrictModes no
	UsePAM no
	PermitRootLogin prohibit-password
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	EOF
	/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>>"$dir/sshd.log" &
	pid=$!
	echo "$port" >"$dir/port"
	echo "$pid" >"$dir/pid"
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "sshd did not come up: $(cat "$dir/sshd.log")" >&2
	return 1
}

stop_sshd() {
	local pid
	pid=$(cat "$1/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$1/pid"
}

sshd_port() {
	cat "$1/port"
}
