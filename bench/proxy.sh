#!/usr/bin/env bash
# bench/proxy.sh: `wrk` through `kubelaunch proxy` against `kubectl proxy` (the bench's
# kubectl), both to the same kube-apiserver (the bench's fixture on loopback), the same
# path and concurrency, alternating, BENCH_RUNS rounds: requests/s, p99 latency and the
# proxies' peak RSS side by side, and the CPU each process (the proxy, kube-apiserver,
# etcd, wrk itself) spends per request, with how busy the machine was. Then, when
# profile $BENCH_PROFILE (default kubelaunch) runs with the dashboard addon enabled, the
# time `dashboard --url` takes to the URL.
#   BENCH_RUNS (3)  BENCH_SECONDS (10)  BENCH_CONNS (50 200: each is measured)
#   BENCH_PATH (/api/v1/namespaces/default/services/kubernetes)
#   BENCH_PROXIES (ours ours-h1 kubectl; also ours-1loop: one event loop, ours-nolimit:
#     no limit on short requests in flight)
#   BENCH_WRK_THREADS (2)  BENCH_WRK (a prefix for wrk, e.g. "taskset -c 1")
set -eu
KL_SRC=${KL_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
KL_BIN=${KL_BIN:-$KL_SRC/build/default/kubelaunch}
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-50 200}
BPATH=${BENCH_PATH:-/api/v1/namespaces/default/services/kubernetes}
PROXIES=${BENCH_PROXIES:-ours ours-h1 kubectl}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
WRK=${BENCH_WRK:-}
. "$KL_SRC/bench/lib.sh"
eval "$(make -s -C "$KL_SRC" testbench-env)"
command -v wrk >/dev/null || { echo "bench/proxy.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }

dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
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
# Each proxy under test: NAME, then the environment ours runs with. kubectl is kubectl proxy.
variant_env() {
	case $1 in
	ours) echo ;;
	ours-h1) echo KL_PROXY_HTTP2=0 ;;       # HTTP/1.1 to the API server, as before HTTP/2
	ours-1loop) echo KL_PROXY_LOOPS=1 ;;    # one event loop instead of one per CPU
	ours-nolimit) echo KL_PROXY_BUSY_MAX=100000 ;; # no limit on short requests in flight (default 32 a loop)
	*) echo "bench/proxy.sh: unknown proxy '$1' (ours ours-h1 ours-1loop ours-nolimit kubectl)" >&2; exit 1 ;;
	esac
}
declare -A PIDS PORTS
for v in $PROXIES; do
	if [ "$v" = kubectl ]; then
		serve kubectl "$KL_TB_BIN/kubectl" --kubeconfig "$dir/fx/kubeconfig" proxy --port 0
	else
		# shellcheck disable=SC2046
		serve "$v" env KUBELAUNCH_HOME="$dir/home" $(variant_env "$v") "$KL_BIN" proxy --port 0 \
			--server "$KL_FX_SERVER" --certificate-authority "$dir/fx/pki/ca.crt" \
			--client-certificate "$dir/fx/pki/admin.crt" --client-key "$dir/fx/pki/admin.key"
	fi
	PIDS[$v]=$PID PORTS[$v]=$PORT
	pids="$pids $PID"
	curl -fsS -o /dev/null "http://127.0.0.1:$PORT$BPATH"
done

# ticks PID: the CPU time (user + system, clock ticks) the process used so far
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# busy: the machine's busy and total clock ticks so far (all CPUs)
busy() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
ap=$(cat "$dir/fx/kube-apiserver.pid") ep=$(cat "$dir/fx/etcd.pid")
# wrk_run NAME CONNS: "rps p99_ms errors proxy_us apiserver_us etcd_us wrk_us busy%" (CPU per request)
wrk_run() {
	local pid=${PIDS[$1]} t0 t1 a0 a1 e0 e1 b0 b1
	t0=$(ticks "$pid") a0=$(ticks "$ap") e0=$(ticks "$ep") b0=$(busy)
	/usr/bin/time -f "wrk-cpu %U %S" -o "$dir/wrk.time" $WRK wrk -t"$WRK_THREADS" -c"$2" -d"${SECS}s" --latency \
		"http://127.0.0.1:${PORTS[$1]}$BPATH" >"$dir/wrk.out" 2>&1
	t1=$(ticks "$pid") a1=$(ticks "$ap") e1=$(ticks "$ep") b1=$(busy)
	cat "$dir/wrk.time" >>"$dir/wrk.out"
	awk -v cpu=$((t1 - t0)) -v acpu=$((a1 - a0)) -v ecpu=$((e1 - e0)) -v hz="$(getconf CLK_TCK)" \
		-v b="$b0 $b1" '
		/requests in/ { n = $1 }
		/Requests\/sec/ { rps = $2 }
		/^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) }
			   else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } p99 = v }
		/Non-2xx|Socket errors/ { err = err $0 }
		/^wrk-cpu/ { wcpu = $2 + $3 }
		END { n = n ? n : 1; split(b, x, " ");
			printf "%s %s %s %.0f %.0f %.0f %.0f %.0f\n", rps, p99, (err == "" ? "none" : "yes"),
			cpu / hz * 1e6 / n, acpu / hz * 1e6 / n, ecpu / hz * 1e6 / n, wcpu * 1e6 / n,
			100 * (x[3] - x[1]) / (x[4] - x[2]) }' "$dir/wrk.out"
}
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
col() { cut -d' ' -f"$1" "$dir/$2.$3" | median; }
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }

echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; path $BPATH; $RUNS rounds of ${SECS} s each, alternating: $PROXIES; wrk -t$WRK_THREADS ${WRK:+(under: $WRK)}"
for c in $CONNS; do
	for v in $PROXIES; do
		wrk_run "$v" "$c" >/dev/null # warm-up: connections and TLS sessions
		: >"$dir/$v.$c"
	done
	for r in $(seq "$RUNS"); do
		for v in $PROXIES; do wrk_run "$v" "$c" >>"$dir/$v.$c"; done
	done
	echo "$c connections (median of $RUNS; CPU per request in us):"
	printf '  %-10s %9s %9s %7s %7s %9s %6s %5s %6s\n' proxy requests/s p99-ms proxy apiserver etcd wrk busy% errors
	for v in $PROXIES; do
		printf '  %-10s %9s %9s %7s %7s %9s %6s %5s %6s\n' "$v" "$(col 1 "$v" "$c")" "$(col 2 "$v" "$c")" \
			"$(col 4 "$v" "$c")" "$(col 5 "$v" "$c")" "$(col 6 "$v" "$c")" "$(col 7 "$v" "$c")" \
			"$(col 8 "$v" "$c")" "$(cut -d' ' -f3 "$dir/$v.$c" | sort -u | tr '\n' ' ')"
	done
	case " $PROXIES " in *" kubectl "*)
		for v in $PROXIES; do
			[ "$v" = kubectl ] && continue
			echo "  $v/kubectl: requests/s $(ratio "$(col 1 "$v" "$c")" "$(col 1 kubectl "$c")")x (target >= 2)," \
				"p99 $(ratio "$(col 2 "$v" "$c")" "$(col 2 kubectl "$c")")x (target <= 1)," \
				"proxy CPU $(ratio "$(col 4 "$v" "$c")" "$(col 4 kubectl "$c")")x," \
				"API server CPU $(ratio "$(col 5 "$v" "$c")" "$(col 5 kubectl "$c")")x"
		done
	esac
	for v in $PROXIES; do echo "  rounds $v: $(tr '\n' ';' <"$dir/$v.$c")"; done
done
for v in $PROXIES; do printf 'peak RSS %s: %s KiB\n' "$v" "$(hwm "${PIDS[$v]}")"; done
case " $PROXIES " in *" ours "*" kubectl "* | *" kubectl "*" ours "*)
	echo "peak RSS ours/kubectl: $(ratio "$(hwm "${PIDS[ours]}")" "$(hwm "${PIDS[kubectl]}")")x (target <= 0.25)" ;;
esac

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
