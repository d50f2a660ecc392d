# bench/lib.sh: what the benchmarks share. Sourced, never run by bench/run.sh.
#   now                 seconds since the epoch, with nanoseconds
#   median              the median of the numbers on stdin, one per line
#   serve_tb_mirror DIR the test bench's release mirror over HTTP on loopback, its log
#                       in DIR; sets MIRROR (the --binary-mirror URL) and MIRROR_PID

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

serve_tb_mirror() {
	(cd "$KL_TB_MIRROR" && exec python3 -m http.server --bind 127.0.0.1 0) >"$1/http.log" 2>&1 &
	MIRROR_PID=$!
	for _ in $(seq 50); do grep -q port "$1/http.log" && break; sleep 0.1; done
	MIRROR=http://127.0.0.1:$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$1/http.log")/release
}

# bench_cluster_home: a private KUBELAUNCH_HOME and HOME under a new $work, the test
# bench's mirror served (MIRROR), and on exit `$KL_BIN delete`, the mirror stopped,
# $work removed. After `eval "$(make -s -C "$KL_SRC" testbench-env)"`.
bench_cluster_home() {
	work=$(mktemp -d)
	export KUBELAUNCH_HOME=$work/home HOME=$work/userhome
	mkdir -p "$HOME"
	serve_tb_mirror "$work"
	trap '"$KL_BIN" delete >/dev/null 2>&1 || true; kill "$MIRROR_PID" 2>/dev/null; rm -rf "$work"' EXIT
}
