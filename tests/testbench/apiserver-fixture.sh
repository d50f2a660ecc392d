#!/bin/sh
# apiserver-fixture.sh: a real etcd + kube-apiserver on loopback for tests.
#
#   apiserver-fixture.sh up DIR     start both on free ports, wait for /readyz,
#                                   write DIR/kubeconfig and print its path
#   apiserver-fixture.sh down DIR   stop them by their recorded PIDs
#
# Binaries come from KL_TB_BIN (default: the testbench cache of this recipe,
# see build.sh). Certificates are made for the test with the openssl CLI.
# DIR/env holds the ports and URLs (KL_FX_SERVER, KL_FX_ETCD, ...).
set -eu

TB_SRC=$(cd "$(dirname "$0")" && pwd)
READY_TIMEOUT=${KL_FX_TIMEOUT:-60}

log() { printf 'apiserver-fixture: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_bin() {
	if [ -z "${KL_TB_BIN:-}" ]; then
		KL_TB_BIN=$("$TB_SRC/build.sh" dir)/bin
	fi
	for b in etcd kube-apiserver; do
		[ -x "$KL_TB_BIN/$b" ] || die "'$KL_TB_BIN/$b' is missing: run 'make testbench'"
	done
}

# free_port: a TCP port on 127.0.0.1 that the kernel just handed out.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# cert NAME SUBJ EXT: a key and a certificate signed by the fixture's CA.
cert() {
	local pki=$1/pki name=$2 subj=$3 ext=$4
	openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key" 2>/dev/null
	openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
	printf '%s\n' "$ext" >"$pki/$name.ext"
	openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 2 -sha256 -extfile "$pki/$name.ext" \
		-out "$pki/$name.crt" 2>/dev/null
	rm -f "$pki/$name.csr" "$pki/$name.ext"
}

make_pki() {
	local dir=$1 pki=$1/pki
	mkdir -p "$pki"
	openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=kubelaunch-fixture-ca" \
		-days 2 -sha256 -out "$pki/ca.crt" 2>/dev/null
	cert "$dir" apiserver "/CN=kube-apiserver" \
		"basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	cert "$dir" admin "/O=system:masters/CN=kubelaunch-fixture-admin" \
		"basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
	openssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key" 2>/dev/null
	openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
	chmod 600 "$pki"/*.key
}

# start NAME CMD...: run CMD in the background, log to DIR/NAME.log, record
# its PID in DIR/NAME.pid.
start() {
	local dir=$1 name=$2
	shift 2
	setsid "$@" </dev/null >"$dir/$name.log" 2>&1 &
	printf '%s\n' "$!" >"$dir/$name.pid"
}

# alive DIR NAME: the process recorded for NAME is still the one we started and
# not a zombie. Its cmdline reads empty for a moment while setsid execs the
# program, so an empty one is read again before it counts as gone.
alive() {
	local pid state cmd i=0
	pid=$(cat "$1/$2.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] || return 1
	while [ $i -lt 10 ]; do
		state=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) || return 1
		[ -n "$state" ] && [ "$state" != Z ] || return 1
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
		if [ -n "$cmd" ]; then
			case "$cmd" in *"$1"*) return 0 ;; *) return 1 ;; esac
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

start_etcd() {
	local dir=$1 cport=$2 pport=$3
	start "$dir" etcd "$KL_TB_BIN/etcd" --name fixture --data-dir "$dir/etcd" \
		--listen-client-urls "http://127.0.0.1:$cport" \
		--advertise-client-urls "http://127.0.0.1:$cport" \
		--listen-peer-urls "http://127.0.0.1:$pport" \
		--initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "fixture=http://127.0.0.1:$pport" \
		--unsafe-no-fsync --log-level warn
}

start_apiserver() {
	local dir=$1 port=$2 etcd=$3 pki=$1/pki
	start "$dir" kube-apiserver "$KL_TB_BIN/kube-apiserver" \
		--bind-address=127.0.0.1 --secure-port="$port" \
		--advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
		--etcd-servers="$etcd" \
		--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
		--client-ca-file="$pki/ca.crt" \
		--service-account-key-file="$pki/sa.pub" \
		--service-account-signing-key-file="$pki/sa.key" \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-cluster-ip-range=10.96.0.0/12 \
		--authorization-mode=Node,RBAC \
		--cert-dir="$dir/pki/generated"
}

write_kubeconfig() {
	local dir=$1 server=$2 pki=$1/pki
	cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fixture
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: fixture-admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: fixture
  context:
    cluster: fixture
    user: fixture-admin
current-context: fixture
EOF
	chmod 600 "$dir/kubeconfig"
}

# wait_ready DIR SERVER: returns 1 with the reason logged, so that the caller stops both.
wait_ready() {
	local dir=$1 server=$2 deadline name
	deadline=$(($(date +%s) + READY_TIMEOUT))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		for name in etcd kube-apiserver; do
			alive "$dir" $name || {
				log "error: $name exited: $(tail -n 5 "$dir/$name.log")"
				return 1
			}
		done
		if curl -fsS --max-time 2 --cacert "$dir/pki/ca.crt" \
			"$server/readyz" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	log "error: kube-apiserver not ready after $READY_TIMEOUT s (see $dir/kube-apiserver.log)"
	return 1
}

cmd_up() {
	local dir eport pport aport server t0
	[ $# -eq 1 ] || die "usage: apiserver-fixture.sh up DIR"
	find_bin
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	if alive "$dir" kube-apiserver || alive "$dir" etcd; then
		die "a fixture is already running in '$dir'"
	fi
	t0=$(date +%s.%N)
	make_pki "$dir"
	eport=$(free_port)
	pport=$(free_port)
	aport=$(free_port)
	server=https://127.0.0.1:$aport
	start_etcd "$dir" "$eport" "$pport"
	start_apiserver "$dir" "$aport" "http://127.0.0.1:$eport"
	write_kubeconfig "$dir" "$server"
	cat >"$dir/env" <<EOF
KL_FX_SERVER='$server'
KL_FX_PORT='$aport'
KL_FX_ETCD='http://127.0.0.1:$eport'
KL_FX_CA='$dir/pki/ca.crt'
KL_FX_KUBECONFIG='$dir/kubeconfig'
EOF
	if ! wait_ready "$dir" "$server"; then
		cmd_down "$dir"
		exit 1
	fi
	log "ready in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s at $server"
	printf '%s\n' "$dir/kubeconfig"
}

# stop DIR NAME: TERM, then KILL after 10 s; only the process we recorded.
stop() {
	local dir=$1 name=$2 pid i=0
	if ! alive "$dir" "$name"; then
		rm -f "$dir/$name.pid"
		return 0
	fi
	pid=$(cat "$dir/$name.pid")
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$dir" "$name" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if alive "$dir" "$name"; then
		log "$name ($pid) ignored SIGTERM, killing it"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	alive "$dir" "$name" && die "cannot stop $name ($pid)"
	rm -f "$dir/$name.pid"
}

cmd_down() {
	local dir
	[ $# -eq 1 ] || die "usage: apiserver-fixture.sh down DIR"
	[ -d "$1" ] || return 0
	dir=$(cd "$1" && pwd)
	stop "$dir" kube-apiserver
	stop "$dir" etcd
}

case "${1:-}" in
up) shift; cmd_up "$@" ;;
down) shift; cmd_down "$@" ;;
*) die "usage: apiserver-fixture.sh up|down DIR" ;;
esac
