# lib-testbench.sh: the Kubernetes test bench for shell tests.
#   testbench_or_skip    build it (cached: seconds), eval its KL_TB_* variables, set
#                        KUBECTL (the bench's real kubectl) and put its bin/ on PATH;
#                        when it cannot be had the script ends (skip here, fail in CI)
#   tb_env               print the KL_TB_* assignments
#   serve_mirror         serve the bench's release mirror over HTTP on loopback; sets
#                        MIRROR (the --binary-mirror URL); the server ends with the test
tb_env() {
	make -s -C "$KL_SRC" testbench-env
}

testbench_or_skip() {
	if ! make -s -C "$KL_SRC" testbench >"$TRASH/tb.log" 2>&1 || ! env_out=$(tb_env) ||
		! eval "$env_out" || [ ! -e "$KL_TB_DIR/.complete" ]; then
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
