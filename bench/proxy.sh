#!/usr/bin/env bash
# bench/proxy.sh: `wrk` through `kubelaunch proxy` against `kubectl proxy` (the bench's
# kubectl), both to the same kube-apiserver (the bench's fixture on loopback), the same
# path and concurrency, alternating, BENCH_RUNS rounds: requests/s, p99 latency and the
# proxies' peak RSS side by side. Then, when profile $BENCH_PROFILE (default kubelaunch)
# runs with the dashboard addon enabled, the time `dashboard --url` takes to the URL.
#   BENCH_RUNS (3)  BENCH_SECONDS (10)  BENCH_CONNS (50 200: each is measured)
#   BENCH_PATH (/api/v1/namespaces/default/services/kubernetes)
set -eu
KL_SRC=${KL_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
KL_BIN=${KL_BIN:-$KL_SRC/build/default/kubelaunch}
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-50 200}
BPATH=${BENCH_PATH:-/api/v1/namespaces/default/services/kubernetes}
. "$KL_SRC/bench/lib.sh"
eval "$(make -s -C "$KL_SRC" testbench-env)"
command -v wrk >/dev/null || { echo "bench/proxy.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }

dir=$(mktemp -d)
ours= theirs=
cleanup() {
	for p in $ours $theirs; do kill "$p" 2>/dev/null || true; done
	"$KL_TB_FIXTURE" down "$dir/fx" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
"$KL_TB_FIXTURE" up "$dir/fx" >/dev/null
. "$dir/fx/env"

# serve NAME CMD...: start a proxy printing "Starting to serve on 127.0.0.1:PORT"; sets PID, PORT.
serve() {
	local name=$1
	shift
	"$@" >"$dir/$name.out" 2>"$dir/$name.err" &
	PID=$!
	for _ in $(seq 100); do grep -q "Starting to serve" "$dir/$name.out" && break; sleep 0.1; done
	PORT=$(sed -n 's/.*Starting to serve on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/$name.out")
	[ -n "$PORT" ] || { echo "bench/proxy.sh: $name did not start: $(cat "$dir/$name.err")" >&2; exit 1; }
}
KUBELAUNCH_HOME=$dir/home serve ours "$KL_BIN" proxy --port 0 --server "$KL_FX_SERVER" \
	--certificate-authority "$dir/fx/pki/ca.crt" --client-certificate "$dir/fx/pki/admin.crt" \
	--client-key "$dir/fx/pki/admin.key"
ours=$PID ours_port=$PORT
serve theirs "$KL_TB_BIN/kubectl" --kubeconfig "$dir/fx/kubeconfig" proxy --port 0
theirs=$PID theirs_port=$PORT
curl -fsS -o /dev/null "http://127.0.0.1:$ours_port$BPATH"
curl -fsS -o /dev/null "http://127.0.0.1:$theirs_port$BPATH"

# ticks PID: the CPU time (user + system, clock ticks) the process used so far
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# wrk_run PORT CONNS PID: "requests/s p99_ms errors proxy_cpu_us_per_request apiserver_cpu_us_per_request"
wrk_run() {
	local t0 t1 a0 a1 ap
	ap=$(cat "$dir/fx/kube-apiserver.pid")
	t0=$(ticks "$3") a0=$(ticks "$ap")
	wrk -t2 -c"$2" -d"${SECS}s" --latency "http://127.0.0.1:$1$BPATH" >"$dir/wrk.out" 2>&1
	t1=$(ticks "$3") a1=$(ticks "$ap")
	awk -v cpu=$((t1 - t0)) -v acpu=$((a1 - a0)) -v hz="$(getconf CLK_TCK)" '
		/requests in/ { n = $1 }
		/Requests\/sec/ { rps = $2 }
		/^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) }
			   else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } p99 = v }
		/Non-2xx|Socket errors/ { err = err $0 }
		END { n = n ? n : 1; printf "%s %s %s %.0f %.0f\n", rps, p99, (err == "" ? "none" : "yes"),
			cpu / hz * 1e6 / n, acpu / hz * 1e6 / n }' "$dir/wrk.out"
}
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

echo "load: $(cut -d' ' -f1-3 /proc/loadavg); path $BPATH; $RUNS rounds of ${SECS} s each, wrk -t2"
for c in $CONNS; do
	wrk_run "$ours_port" "$c" "$ours" >/dev/null # warm-up: connections and TLS sessions
	wrk_run "$theirs_port" "$c" "$theirs" >/dev/null
	: >"$dir/ours.$c" && : >"$dir/theirs.$c"
	for r in $(seq "$RUNS"); do
		wrk_run "$ours_port" "$c" "$ours" >>"$dir/ours.$c"
		wrk_run "$theirs_port" "$c" "$theirs" >>"$dir/theirs.$c"
	done
	o_rps=$(cut -d' ' -f1 "$dir/ours.$c" | median) t_rps=$(cut -d' ' -f1 "$dir/theirs.$c" | median)
	o_p99=$(cut -d' ' -f2 "$dir/ours.$c" | median) t_p99=$(cut -d' ' -f2 "$dir/theirs.$c" | median)
	errs=$(cut -d' ' -f3 "$dir/ours.$c" "$dir/theirs.$c" | sort -u | tr '\n' ' ')
	o_cpu=$(cut -d' ' -f4 "$dir/ours.$c" | median) t_cpu=$(cut -d' ' -f4 "$dir/theirs.$c" | median)
	o_acpu=$(cut -d' ' -f5 "$dir/ours.$c" | median) t_acpu=$(cut -d' ' -f5 "$dir/theirs.$c" | median)
	printf '%s connections: requests/s %s vs %s (%.2fx, target >= 2); p99 %s ms vs %s ms (%.2fx, target <= 1); errors: %s\n' \
		"$c" "$o_rps" "$t_rps" "$(echo "$o_rps $t_rps" | awk '{print $1/$2}')" "$o_p99" "$t_p99" \
		"$(echo "$o_p99 $t_p99" | awk '{print $1/$2}')" "$errs"
	printf '  the proxy'"'"'s own CPU per request: %s us vs %s us (%.2fx)\n' "$o_cpu" "$t_cpu" \
		"$(echo "$o_cpu $t_cpu" | awk '{print $1/$2}')"
	printf '  the API server'"'"'s CPU per request: %s us behind ours vs %s us behind kubectl'"'"'s (HTTP/2)\n' "$o_acpu" "$t_acpu"
	echo "  rounds (rps p99 errors proxy-us apiserver-us) ours: $(tr '\n' ';' <"$dir/ours.$c")  kubectl: $(tr '\n' ';' <"$dir/theirs.$c")"
done
o_hwm=$(hwm "$ours") t_hwm=$(hwm "$theirs")
printf 'peak RSS: %s KiB vs %s KiB (%.2fx, target <= 0.25)\n' "$o_hwm" "$t_hwm" "$(echo "$o_hwm $t_hwm" | awk '{print $1/$2}')"

profile=${BENCH_PROFILE:-kubelaunch}
if "$KL_BIN" -p "$profile" addons list -o json 2>/dev/null | grep -q '"dashboard": *{[^}]*"enabled"'; then
	: >"$dir/dash"
	for r in $(seq "$RUNS"); do
		t0=$(now)
		"$KL_BIN" -p "$profile" dashboard --url >"$dir/dash.out" 2>/dev/null &
		pid=$!
		for _ in $(seq 1000); do [ -s "$dir/dash.out" ] && break; sleep 0.01; done
		echo "$(now) $t0" | awk '{print $1 - $2}' >>"$dir/dash"
		kill -INT "$pid"
		wait "$pid" || true
		rm -f "$dir/dash.out"
	done
	echo "dashboard --url (addon enabled), to the URL: median $(median <"$dir/dash") s of $RUNS (target < 2 s)"
else
	echo "dashboard --url: not measured (profile '$profile' is not running with the dashboard addon enabled)"
fi
