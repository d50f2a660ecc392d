#!/usr/bin/env bash
# download.sh: kubeadm, kubelet and kubectl, downloaded and verified from a loopback
# mirror with a cold cache: `kubelaunch cache fetch` against the baseline of curl
# fetching each file and its .sha256 one after another, then sha256sum -c.
#
# A second baseline hashes with `openssl dgst -sha256` (SHA-NI, like kubelaunch), since
# coreutils' sha256sum here runs at under 100 MB/s and dominates the first.
#
# Files: the testbench's real mirror when `make testbench-env` says it is built, else
# three random files (80, 70 and 55 MB) with their .sha256, made once.
# Server: busybox httpd when installed (apt-get install busybox), else python3's.
#
# Environment: KL_BIN (default ./kubelaunch), RUNS (default 7), KL_DEV_CACHE.
# Prints each run, then the medians and the ratio kubelaunch / baseline.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
KL_BIN=${KL_BIN:-$SRC/kubelaunch}
RUNS=${RUNS:-7}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kl-bench-download.XXXXXX")
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The mirror root and version.
root= version=
if env_out=$(make -s -C "$SRC" testbench-env 2>/dev/null) && eval "$env_out" &&
	[ -e "${KL_TB_DIR:-/nonexistent}/.complete" ] &&
	[ -s "$KL_TB_MIRROR/release/$KL_TB_VERSION/bin/linux/amd64/kubelet.sha256" ]; then
	root=$KL_TB_MIRROR version=$KL_TB_VERSION
	echo "files: the testbench mirror ($root)"
else
	version=v1.99.0
	root=${KL_DEV_CACHE:-/var/cache/kubelaunch-dev}/bench-download
	d=$root/release/$version/bin/linux/amd64
	if [ ! -s "$d/kubectl.sha256" ]; then
		mkdir -p "$d"
		head -c 80000000 /dev/urandom >"$d/kubelet"
		head -c 70000000 /dev/urandom >"$d/kubeadm"
		head -c 55000000 /dev/urandom >"$d/kubectl"
		for n in kubeadm kubelet kubectl; do (cd "$d" && sha256sum "$n" | cut -d' ' -f1 >"$n.sha256"); done
	fi
	echo "files: random stand-ins in $root (the testbench is not built)"
fi
bin=$root/release/$version/bin/linux/amd64
du -b "$bin/kubeadm" "$bin/kubelet" "$bin/kubectl" | awk '{ s += $1 } END { printf "size: %.1f MB in three files\n", s / 1e6 }'

port=$(free_port)
if command -v busybox >/dev/null && busybox httpd --help >/dev/null 2>&1; then
	busybox httpd -f -p "127.0.0.1:$port" -h "$root" &
	server=$! name="busybox httpd"
else
	(cd "$root" && exec python3 -m http.server --bind 127.0.0.1 "$port") >/dev/null 2>&1 &
	server=$! name="python3 http.server"
fi
for _ in $(seq 100); do curl -fso /dev/null "http://127.0.0.1:$port/release/$version/bin/linux/amd64/kubeadm.sha256" && break; sleep 0.05; done
url=http://127.0.0.1:$port/release
echo "server: $name on 127.0.0.1:$port; $RUNS runs each, cold cache, files in the page cache"
cat "$bin/kubeadm" "$bin/kubelet" "$bin/kubectl" >/dev/null

baseline() {
	local out=$WORK/baseline n
	rm -rf "$out" && mkdir -p "$out"
	for n in kubeadm kubelet kubectl; do
		curl -fsS -o "$out/$n" "$url/$version/bin/linux/amd64/$n"
		curl -fsS -o "$out/$n.sha256" "$url/$version/bin/linux/amd64/$n.sha256"
		echo "$(cut -d' ' -f1 "$out/$n.sha256")  $out/$n" | sha256sum -c --quiet
	done
}

baseline_openssl() {
	local out=$WORK/baseline n
	rm -rf "$out" && mkdir -p "$out"
	for n in kubeadm kubelet kubectl; do
		curl -fsS -o "$out/$n" "$url/$version/bin/linux/amd64/$n"
		curl -fsS -o "$out/$n.sha256" "$url/$version/bin/linux/amd64/$n.sha256"
		[ "$(openssl dgst -sha256 -r "$out/$n" | cut -d' ' -f1)" = "$(cut -d' ' -f1 "$out/$n.sha256")" ]
	done
}

ours() {
	rm -rf "$WORK/home"
	KUBELAUNCH_HOME=$WORK/home "$KL_BIN" cache fetch --kubernetes-version "$version" --binary-mirror "$url" >/dev/null
}

: >"$WORK/base.times"
: >"$WORK/base2.times"
: >"$WORK/ours.times"
for i in $(seq "$RUNS"); do
	t0=$(now); baseline; t1=$(now); baseline_openssl; t2=$(now); ours; t3=$(now)
	b=$(echo "$t1 - $t0" | bc -l) b2=$(echo "$t2 - $t1" | bc -l) o=$(echo "$t3 - $t2" | bc -l)
	echo "$b" >>"$WORK/base.times"
	echo "$b2" >>"$WORK/base2.times"
	echo "$o" >>"$WORK/ours.times"
	printf 'run %d: curl+sha256sum %.3f s   curl+openssl %.3f s   kubelaunch %.3f s\n' "$i" "$b" "$b2" "$o"
done
mb=$(median <"$WORK/base.times") mb2=$(median <"$WORK/base2.times") mo=$(median <"$WORK/ours.times")
printf 'median: curl+sha256sum %.3f s   curl+openssl %.3f s   kubelaunch %.3f s\n' "$mb" "$mb2" "$mo"
printf 'ratio: kubelaunch / (curl+sha256sum) %.2f   kubelaunch / (curl+openssl) %.2f\n' \
	"$(echo "$mo / $mb" | bc -l)" "$(echo "$mo / $mb2" | bc -l)"

# A warm cache: what a start pays when the binaries are there (no request at all).
t0=$(now)
KUBELAUNCH_HOME=$WORK/home "$KL_BIN" cache fetch --kubernetes-version "$version" --binary-mirror "$url" >/dev/null
t1=$(now)
touch "$WORK/home/cache/binaries/$version/linux/amd64/"kube*
t2=$(now)
KUBELAUNCH_HOME=$WORK/home "$KL_BIN" cache fetch --kubernetes-version "$version" --binary-mirror "$url" >/dev/null
t3=$(now)
printf 'warm cache: %.3f s (size+mtime stamp); %.3f s when all three must be hashed again\n' \
	"$(echo "$t1 - $t0" | bc -l)" "$(echo "$t3 - $t2" | bc -l)"
