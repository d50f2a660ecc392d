#!/usr/bin/env bash
# Artifacts: kubeadm, kubelet and kubectl from a mirror on loopback that can misbehave
# (corrupt, 404, dropped connections, 500s, slow), through `kubelaunch cache fetch`:
# parallel downloads, cache hits without a request, checksum mismatch, unreachable
# mirror, unknown version, full disk, proxy from the environment.
. "$(dirname "$0")/test-lib.sh"

VERSION=v1.37.2

# The mirror: a threaded HTTP server whose faults are read from $TRASH/faults per request:
#   corrupt NAME | notfound NAME | drop NAME COUNT | error NAME COUNT | slow NAME SECONDS
#   trickle NAME SECONDS (the first 64 KiB, then a pause, then the rest)
# NAME is the last path component. Every request is logged as "start PATH T" / "end PATH T".
cat >"$TRASH/mirror.py" <<'EOF'
import http.server, os, sys, threading, time
root, log, faults, portfile = sys.argv[1:5]
lock = threading.Lock()
counts = {}
def note(line):
    with lock, open(log, "a") as f:
        f.write(line + "\n")
def rules():
    try:
        return [l.split() for l in open(faults) if l.strip()]
    except FileNotFoundError:
        return []
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        path = self.path.split("?")[0]
        name = path.rsplit("/", 1)[-1]
        note("start %s %.3f" % (path, time.time()))
        try:
            self.serve(path, name)
        finally:
            note("end %s %.3f" % (path, time.time()))
    def serve(self, path, name):
        fs = os.path.join(root, path.lstrip("/"))
        for r in rules():
            if r[1] != name: continue
            if r[0] == "notfound":
                return self.send_error(404)
            if r[0] in ("drop", "error"):
                with lock:
                    n = counts.get((r[0], name), 0)
                    counts[(r[0], name)] = n + 1
                if n < int(r[2]):
                    if r[0] == "error": return self.send_error(500)
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
            if r[0] == "slow": time.sleep(float(r[2]))
        if not os.path.isfile(fs):
            return self.send_error(404)
        data = open(fs, "rb").read()
        if any(r[0] == "corrupt" and r[1] == name for r in rules()):
            data = bytes([data[0] ^ 0xff]) + data[1:]
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for r in rules():
            if r[0] == "trickle" and r[1] == name:
                self.wfile.write(data[:65536])
                self.wfile.flush()
                time.sleep(float(r[2]))
                data = data[65536:]
        self.wfile.write(data)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
EOF

# A forward proxy for plain HTTP: logs "PROXY URL" and relays the answer.
cat >"$TRASH/proxy.py" <<'EOF'
import http.server, sys, os, urllib.request
log, portfile = sys.argv[1:3]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
class P(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        with open(log, "a") as f: f.write("PROXY %s\n" % self.path)
        try:
            r = opener.open(self.path)
            code, data = r.status, r.read()
        except urllib.error.HTTPError as e:
            code, data = e.code, e.read()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), P)
open(portfile + ".tmp", "w").write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
EOF


# start_server SCRIPT PORTFILE ARGS...: run it in the background, wait for its port.
start_server() {
	local script=$1 portfile=$2
	shift 2
	python3 "$script" "$@" "$portfile" >>"$TRASH/servers.log" 2>&1 &
	test_track_pid $!
	for _ in $(seq 100); do
		[ -s "$portfile" ] && return 0
		sleep 0.05
	done
	echo "the server $script did not start" >&2
	return 1
}

make_mirror() {
	local d=$TRASH/mirror/release/$VERSION/bin/linux/amd64 n
	mkdir -p "$d" &&
	echo "$VERSION" >"$TRASH/mirror/release/stable.txt" &&
	echo "v1.38.0-alpha.1" >"$TRASH/mirror/release/latest.txt" &&
	head -c 300000 /dev/urandom >"$d/kubeadm" &&
	head -c 3000000 /dev/urandom >"$d/kubelet" &&
	head -c 200000 /dev/urandom >"$d/kubectl" &&
	for n in kubeadm kubelet kubectl; do
		(cd "$d" && sha256sum "$n" >"$n.sha256") || return 1
	done &&
	: "upstream's .sha256 holds the digest alone" &&
	cut -d" " -f1 "$d/kubectl.sha256" >"$d/kubectl.sha256.tmp" && mv "$d/kubectl.sha256.tmp" "$d/kubectl.sha256"
}

requests() { grep -c "^start " "$TRASH/mirror.log" 2>/dev/null || true; }
CACHE=$KUBELAUNCH_HOME/cache/binaries/$VERSION/linux/amd64

test_expect_success 'set up the mirror on a free loopback port' '
	make_mirror &&
	start_server "$TRASH/mirror.py" "$TRASH/mirror.port" "$TRASH/mirror" "$TRASH/mirror.log" "$TRASH/faults" &&
	PORT=$(cat "$TRASH/mirror.port") && echo "$PORT" &&
	curl -fsS "http://127.0.0.1:$PORT/release/stable.txt"
'
PORT=$(cat "$TRASH/mirror.port" 2>/dev/null)
MIRROR=http://127.0.0.1:$PORT/release

test_expect_success 'fetch stable: three binaries in parallel, verified, 0755, sha256 beside' '
	echo "slow kubeadm 1" >faults && echo "slow kubelet 1" >>faults && echo "slow kubectl 1" >>faults &&
	kubelaunch cache fetch --binary-mirror "$MIRROR" >out 2>err &&
	: >faults &&
	grep -q "$VERSION" out &&
	for n in kubeadm kubelet kubectl; do
		cmp "$CACHE/$n" "mirror/release/$VERSION/bin/linux/amd64/$n" &&
		test "$(stat -c %a "$CACHE/$n")" = 755 &&
		test "$(cut -d" " -f1 "$CACHE/$n.sha256")" = "$(sha256sum <"$CACHE/$n" | cut -d" " -f1)" || return 1
	done &&
	: "every binary request started before any ended: they ran at once" &&
	last_start=$(grep "^start .*/amd64/kube[a-z]* " mirror.log | awk "{print \$3}" | sort -n | tail -n1) &&
	first_end=$(grep "^end .*/amd64/kube[a-z]* " mirror.log | awk "{print \$3}" | sort -n | head -n1) &&
	awk -v s="$last_start" -v e="$first_end" "BEGIN { exit !(s < e) }" &&
	! find "$KUBELAUNCH_HOME/cache" -name "*.part*" | grep -q .
'

test_expect_success 'a second fetch is a cache hit: no request at all' '
	before=$(requests) &&
	kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" >out &&
	grep -q "already cached" out &&
	test "$(requests)" = "$before"
'

test_expect_success 'a cached file that changed is hashed again and fetched again' '
	printf x >>"$CACHE/kubectl" &&
	before=$(requests) &&
	kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" &&
	cmp "$CACHE/kubectl" "mirror/release/$VERSION/bin/linux/amd64/kubectl" &&
	test "$(requests)" = "$((before + 2))" &&
	touch "$CACHE/kubeadm" && before=$(requests) &&
	kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" &&
	test "$(requests)" = "$before"
'

test_expect_success 'cache list: files, sizes and total; -o json' '
	kubelaunch cache list >out &&
	grep -q "^$VERSION *linux/amd64/kubelet *2.9 MiB" out &&
	grep -q "^total: 3 files, 0 preloads" out &&
	kubelaunch cache list -o json >out.json &&
	jq -e ".files | length == 3" out.json &&
	jq -e ".total == 3500000" out.json &&
	jq -e ".files[0].version == \"$VERSION\"" out.json
'

test_expect_success 'cache delete of everything removes the cached programs too' '
	prog="$KUBELAUNCH_HOME/cache/programs/istioctl/1.31.0/linux-amd64" &&
	mkdir -p "$prog" && echo program >"$prog/istioctl" &&
	kubelaunch cache list -o json >out.json && jq -e ".programs | length == 1" out.json &&
	kubelaunch cache delete "$VERSION" && test -f "$prog/istioctl" &&
	kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" &&
	kubelaunch cache delete >out && grep -q "removed every version" out &&
	test ! -e "$KUBELAUNCH_HOME/cache/programs" &&
	kubelaunch cache list -o json >out.json && jq -e ".programs == [] and .files == []" out.json &&
	kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR"
'

test_expect_success 'transient failures are retried: dropped connections, HTTP 500' '
	kubelaunch cache delete "$VERSION" >out && grep -q "removed $VERSION" out &&
	test ! -e "$KUBELAUNCH_HOME/cache/binaries/$VERSION" &&
	echo "drop kubeadm 2" >faults && echo "error kubelet 2" >>faults &&
	kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" &&
	: >faults &&
	cmp "$CACHE/kubeadm" "mirror/release/$VERSION/bin/linux/amd64/kubeadm" &&
	test "$(grep -c "^start .*/amd64/kubelet " mirror.log)" -ge 4
'

test_expect_success 'a checksum mismatch: the file is deleted, retried once, then exit 42 naming the URL' '
	kubelaunch cache delete &&
	echo "corrupt kubectl" >faults &&
	before=$(grep -c "^start .*/amd64/kubectl " mirror.log) &&
	test_expect_code 42 kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" 2>err &&
	: >faults &&
	grep -q "INET_CHECKSUM_MISMATCH\|sha256" err &&
	grep -q "$MIRROR/$VERSION/bin/linux/amd64/kubectl" err &&
	test "$(grep -c "^start .*/amd64/kubectl " mirror.log)" = "$((before + 2))" &&
	test ! -e "$CACHE/kubectl" &&
	! find "$KUBELAUNCH_HOME/cache" -name "*.part*" | grep -q .
'

test_expect_success 'an unreachable mirror: exit 44 naming the URL, nothing created' '
	: >faults && kubelaunch cache delete &&
	dead=$(free_port) &&
	test_expect_code 44 kubelaunch cache fetch --kubernetes-version "$VERSION" \
		--binary-mirror "http://127.0.0.1:$dead/release" 2>err &&
	grep -q "http://127.0.0.1:$dead/release/$VERSION/bin/linux/amd64/kube" err &&
	test ! -e "$KUBELAUNCH_HOME/cache/binaries/$VERSION"
'

test_expect_success 'an unknown version: K8S_VERSION_UNKNOWN (103) before anything is created' '
	: >faults &&
	kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" &&
	test_expect_code 103 kubelaunch cache fetch --kubernetes-version v1.99.0 --binary-mirror "$MIRROR" 2>err &&
	grep -q "v1.99.0" err && grep -q "known here: .*$VERSION" err &&
	test ! -e "$KUBELAUNCH_HOME/cache/binaries/v1.99.0" &&
	test_expect_code 103 kubelaunch cache fetch --kubernetes-version banana --binary-mirror "$MIRROR" 2>err &&
	test_expect_code 103 kubelaunch cache fetch --kubernetes-version latest --binary-mirror "$MIRROR" 2>err &&
	grep -q "latest.txt" err
'

test_expect_success 'a 404 on one checksum is an unknown version too' '
	kubelaunch cache delete &&
	echo "notfound kubelet.sha256" >faults &&
	test_expect_code 103 kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" 2>err &&
	: >faults &&
	grep -q "kubelet.sha256" err &&
	test ! -e "$KUBELAUNCH_HOME/cache/binaries/$VERSION"
'

test_expect_success 'progress events with -o json' '
	: >faults && kubelaunch cache delete &&
	kubelaunch cache fetch -o json --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" >out.json &&
	jq -se "map(select(.type == \"io.kubelaunch.download\")) | any(.data.total == 3000000)" out.json &&
	tail -n1 out.json | jq -e ".type == \"io.kubelaunch.info\""
'

test_expect_success 'proxy from the environment: http_proxy is used, NO_PROXY bypasses it' '
	start_server "$TRASH/proxy.py" "$TRASH/proxy.port" "$TRASH/proxy.log" &&
	: >faults && kubelaunch cache delete &&
	http_proxy=http://127.0.0.1:$(cat proxy.port) kubelaunch cache fetch --binary-mirror "$MIRROR" &&
	grep -q "PROXY $MIRROR/stable.txt" proxy.log &&
	grep -q "PROXY $MIRROR/$VERSION/bin/linux/amd64/kubelet$" proxy.log &&
	kubelaunch cache delete && lines=$(wc -l <proxy.log) &&
	http_proxy=http://127.0.0.1:$(cat proxy.port) NO_PROXY=127.0.0.1 kubelaunch cache fetch --binary-mirror "$MIRROR" &&
	test "$(wc -l <proxy.log)" = "$lines"
'

# hold.py FILE: hold an exclusive flock on FILE for a minute (another command's lock).
cat >"$TRASH/hold.py" <<'EOF'
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(60)
EOF

# fetch_in_background: `cache fetch` with kubelet trickling; waits for its partial file.
fetch_in_background() {
	echo "trickle kubelet 20" >faults &&
	{ kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" >fetch.out 2>&1 & } &&
	pid=$! && test_track_pid "$pid" &&
	for _ in $(seq 100); do test -e "$CACHE/kubelet.part.$pid" && break; sleep 0.05; done &&
	test -e "$CACHE/kubelet.part.$pid"
}

# "At once" is within 5 s below: the trickled download would take 20 s and the held lock
# 60 s, so a signal that is ignored still fails, and a loaded CI machine does not.
test_expect_success 'the first SIGINT during a download stops it at once: exit 2, no partial file left' '
	kubelaunch cache delete && fetch_in_background &&
	kubelaunch cache list >list && grep -q "kubelet.part.$pid .*(partial: being downloaded by pid $pid)" list &&
	t0=$(date +%s%N) && kill -INT "$pid" && rc=0 && { wait "$pid" || rc=$?; } &&
	ms=$(( ($(date +%s%N) - t0) / 1000000 )) && echo "exit $rc after $ms ms" &&
	test "$rc" = 2 && test "$ms" -lt 5000 &&
	grep -q "INTERRUPTED" fetch.out && grep -q "while downloading .*kubelet" fetch.out &&
	! find "$KUBELAUNCH_HOME/cache" -name "*.part*" | grep -q .
'

test_expect_success 'SIGTERM too; a killed download leaves its partial file, which cache list removes' '
	kubelaunch cache delete && fetch_in_background &&
	kill -TERM "$pid" && rc=0 && { wait "$pid" || rc=$?; } && test "$rc" = 2 &&
	fetch_in_background && kill -KILL "$pid" && { wait "$pid" || true; } &&
	test -e "$CACHE/kubelet.part.$pid" &&
	kubelaunch cache list >list 2>&1 && grep -q "removed 1 partial download left by killed runs" list &&
	! find "$KUBELAUNCH_HOME/cache" -name "*.part*" | grep -q .
'

test_expect_success 'the next fetch removes what a killed one left, then completes' '
	fetch_in_background && stale=$pid && kill -KILL "$stale" && { wait "$stale" || true; } &&
	test -e "$CACHE/kubelet.part.$stale" && : >faults &&
	kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" &&
	test ! -e "$CACHE/kubelet.part.$stale" &&
	cmp "$CACHE/kubelet" "mirror/release/$VERSION/bin/linux/amd64/kubelet"
'

test_expect_success 'the first SIGTERM ends a wait for the profile lock: exit 2 at once' '
	mkdir -p "$KUBELAUNCH_HOME/profiles" &&
	{ python3 "$TRASH/hold.py" "$KUBELAUNCH_HOME/profiles/kubelaunch.lock" & } && holder=$! && test_track_pid "$holder" &&
	for _ in $(seq 100); do flock -n "$KUBELAUNCH_HOME/profiles/kubelaunch.lock" true || break; sleep 0.05; done &&
	! flock -n "$KUBELAUNCH_HOME/profiles/kubelaunch.lock" true &&
	{ kubelaunch stop >wait.out 2>&1 & } && pid=$! && test_track_pid "$pid" &&
	for _ in $(seq 100); do grep -q "Waiting for another" wait.out && break; sleep 0.05; done &&
	grep -q "Waiting for another" wait.out &&
	t0=$(date +%s%N) && kill -TERM "$pid" && rc=0 && { wait "$pid" || rc=$?; } &&
	ms=$(( ($(date +%s%N) - t0) / 1000000 )) && echo "exit $rc after $ms ms" &&
	test "$rc" = 2 && test "$ms" -lt 5000 && grep -q "INTERRUPTED" wait.out &&
	kill "$holder"
'

if [ "$(id -u)" -ne 0 ] || ! mkdir -p "$TRASH/tmpfs-probe" || ! mount -t tmpfs -o size=1m tmpfs "$TRASH/tmpfs-probe" 2>/dev/null; then
	test_skip_or_fail "full-disk test: cannot mount a tmpfs here (needs root and mount rights)"
else
	umount "$TRASH/tmpfs-probe"
	test_when_finished "mountpoint -q \"$KUBELAUNCH_HOME/cache\" && umount \"$KUBELAUNCH_HOME/cache\""
	test_expect_success 'a full disk: RSRC_INSUFFICIENT_DISK (26), no partial file in the cache' '
		: >faults && kubelaunch cache delete &&
		mount -t tmpfs -o size=1m tmpfs "$KUBELAUNCH_HOME/cache" &&
		test_expect_code 26 kubelaunch cache fetch --kubernetes-version "$VERSION" --binary-mirror "$MIRROR" 2>err &&
		grep -q "RSRC_INSUFFICIENT_DISK" err && grep -q "kubelet" err &&
		! find "$KUBELAUNCH_HOME/cache" -name "*.part*" | grep -q . &&
		test ! -e "$CACHE/kubelet" &&
		umount "$KUBELAUNCH_HOME/cache"
	'
fi

test_done
