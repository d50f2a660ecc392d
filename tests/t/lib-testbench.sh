# lib-testbench.sh: the Kubernetes test bench for shell tests.
#   testbench_or_skip    build it (cached: seconds), eval its KL_TB_* variables, set
#                        KUBECTL (the bench's real kubectl) and put its bin/ on PATH;
#                        when it cannot be had the script ends (skip here, fail in CI)
#   tb_env               print the KL_TB_* assignments
#   serve_mirror         serve the bench's release mirror over HTTP on loopback; sets
#                        MIRROR (the --binary-mirror URL); the server ends with the test
#   ctd_start, ctd, ctd_netns_curl   a private containerd (below)
tb_env() {
	make -s -C "$KL_SRC" testbench-env
}

testbench_or_skip() {
	if ! make -s -C "$KL_SRC" testbench >"$TRASH/tb.log" 2>&1 || ! env_out=$(tb_env) ||
		! eval "$env_out" || [ ! -e "$KL_TB_DIR/.complete" ] || [ ! -e "$KL_TB_IMAGES/images.list" ]; then
		test_skip_or_fail "the test bench could not be built: $(tail -n3 "$TRASH/tb.log")"
		test_done
		exit
	fi
	KUBECTL=$KL_TB_BIN/kubectl
	export PATH=$KL_TB_BIN:$PATH
}

serve_mirror() {
	(cd "$KL_TB_MIRROR" && exec python3 -m http.server --bind 127.0.0.1 0) >"$TRASH/http.log" 2>&1 &
	echo $! >"$TRASH/http.pid"
	test_when_finished "kill \$(cat $TRASH/http.pid)"
	for _ in $(seq 50); do grep -q "port" "$TRASH/http.log" && break; sleep 0.1; done
	MIRROR=http://127.0.0.1:$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TRASH/http.log")/release
}

# A private containerd for image tests (as root): its own root, state, socket and
# namespace under a temporary directory, the CRI plugin off, nothing shared with a
# cluster's containerd. Call ctd_start at the top level of the script (it registers
# its teardown); then `ctd ARGS` is ctr against it in namespace $CTD_NS.
#   ctd_start           start it; CTD is its directory
#   ctd_netns_curl ID URL  curl URL inside task ID's network namespace (loopback up)
ctd_start() {
	CTD=$(mktemp -d /tmp/kl-ctd.XXXXXX)
	CTD_NS=kl-test-$$
	test_when_finished "ctd_stop"
	cat >"$CTD/config.toml" <<EOT
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTD/sock"
[ttrpc]
  address = "$CTD/sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD/opt"
EOT
	setsid containerd --config "$CTD/config.toml" </dev/null >"$CTD/log" 2>&1 &
	echo $! >"$CTD/pid"
	for _ in $(seq 100); do ctd version >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

ctd() {
	ctr -a "$CTD/sock" -n "$CTD_NS" "$@"
}

# Ends every task and container, the shims, containerd, then removes its directory.
ctd_stop() {
	local c p
	[ -n "${CTD:-}" ] && [ -d "$CTD" ] || return 0
	for c in $(ctd tasks ls -q 2>/dev/null); do
		ctd tasks kill -s KILL "$c" >/dev/null 2>&1
	done
	sleep 0.3
	for c in $(ctd containers ls -q 2>/dev/null); do
		ctd tasks rm -f "$c" >/dev/null 2>&1
		ctd containers rm "$c" >/dev/null 2>&1
	done
	for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $CTD/sock" || true); do
		kill -KILL "$p" 2>/dev/null
	done
	p=$(cat "$CTD/pid" 2>/dev/null) && kill "$p" 2>/dev/null
	for _ in $(seq 50); do test_pid_alive "$p" || break; sleep 0.1; done
	grep -o " $CTD/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount "$m"; done
	rm -rf "$CTD"
}

ctd_netns_curl() {
	local pid
	pid=$(ctd tasks ls | awk -v id="$1" '$1 == id { print $2 }') &&
		nsenter -t "$pid" -n ip link set lo up &&
		for _ in $(seq 50); do
			nsenter -t "$pid" -n curl -fsS --max-time 2 "$2" && return 0
			sleep 0.2
		done
	return 1
}
