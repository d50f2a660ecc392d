#!/bin/sh
# t0800: `kubelaunch proxy` against the bench's real kube-apiserver (etcd and the API
# server on loopback, tests/testbench/apiserver-fixture.sh): HTTP/2 to it (ALPN h2),
# GET, a watch whose events come while it is open, 50 MB through it both ways, 200
# clients at once, the Host guard, refused exec, the API server killed and started
# again under the same proxy, real kubectl through it, and the first SIGINT ending it
# cleanly; HTTP/1.1 to a TLS server that does not offer h2 (openssl s_server).

. "$(dirname "$0")/test-lib.sh"
. "$KL_SRC/tests/t/lib-testbench.sh"
testbench_or_skip

FX=$TRASH/fx
test_when_finished "\"$KL_TB_FIXTURE\" down \"$FX\""

# start_proxy NAME ARGS...: a proxy to the fixture in the background; sets PORT, PID.
start_proxy() {
	local name=$1
	shift
	rm -f "$name.pid" "$name.rc"
	(
		kubelaunch -v=1 proxy --port 0 --server "${SERVER:-$KL_FX_SERVER}" --certificate-authority "${CA:-$FX/pki/ca.crt}" \
			--client-certificate "$FX/pki/admin.crt" --client-key "$FX/pki/admin.key" "$@" \
			>"$name.out" 2>"$name.err" &
		echo $! >"$name.pid"
		wait $!
		echo $? >"$name.rc"
	) &
	for _ in $(seq 50); do grep -q "^Starting to serve on" "$name.out" 2>/dev/null && break; sleep 0.1; done
	PID=$(cat "$name.pid")
	test_track_pid "$PID"
	PORT=$(sed -n 's/^Starting to serve on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$name.out")
	test -n "$PORT"
}

URL=
test_expect_success 'the fixture comes up and the proxy serves it on 127.0.0.1 only' '
	"$KL_TB_FIXTURE" up "$FX" >/dev/null &&
	. "$FX/env" &&
	start_proxy p &&
	echo "PORT=$PORT PID=$PID" >proxy.env &&
	ss -Htlnp | grep "pid=$PID," >listen &&
	grep -q " 127\.0\.0\.1:$PORT " listen &&
	! grep -v " 127\.0\.0\.1:" listen
'
. "$FX/env" 2>/dev/null
. ./proxy.env 2>/dev/null
URL=http://127.0.0.1:${PORT:-0}

test_expect_success 'GET: /version and a list' '
	curl -fsS "$URL/version" >v.json &&
	jq -e ".gitVersion == \"$KL_TB_VERSION\"" v.json &&
	curl -fsS -D h.txt "$URL/api/v1/namespaces" >ns.json &&
	grep -qi "^content-length: $(stat -c %s ns.json)" h.txt &&
	jq -r ".items[].metadata.name" ns.json >names &&
	grep -x kube-system names
'

test_expect_success 'the API server is spoken to over HTTP/2: ALPN h2, one connection for many requests' '
	grep "proxy: HTTP/2 to the API server at $KL_FX_SERVER (ALPN h2)" p.err &&
	for i in $(seq 20); do echo "url = \"$URL/api/v1/namespaces/default/configmaps?c=$i\""; echo "output = /dev/null"; done >twenty.cfg &&
	curl -fsS -Z --parallel-max 20 -K twenty.cfg &&
	ss -Htnp state established "( dport = :$KL_FX_PORT )" | grep -c "pid=$PID," >n &&
	echo "upstream connections after 20 requests at once: $(cat n)" &&
	test "$(cat n)" -le "$(nproc)"
'

test_expect_success 'real kubectl through the proxy' '
	"$KUBECTL" --server="$URL" create configmap via-kubectl --from-literal=k=v &&
	"$KUBECTL" --server="$URL" get configmap via-kubectl -o jsonpath="{.data.k}" >actual &&
	printf v >expect && test_cmp expect actual &&
	"$KUBECTL" --server="$URL" get namespaces -o name >ns &&
	grep -x namespace/default ns
'

test_expect_success 'a watch: events arrive while it stays open' '
	{ curl -sSN "$URL/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dwatched" >watch.out & } &&
	wpid=$! &&
	sleep 1 &&
	curl -fsS -o /dev/null -H "Content-Type: application/json" -d "{\"metadata\":{\"name\":\"watched\"}}" \
		"$URL/api/v1/namespaces/default/configmaps" &&
	for _ in $(seq 50); do grep -q "\"ADDED\"" watch.out && break; sleep 0.1; done &&
	grep -q "\"type\":\"ADDED\"" watch.out &&
	test_pid_alive $wpid &&
	curl -fsS -o /dev/null -X DELETE "$URL/api/v1/namespaces/default/configmaps/watched" &&
	for _ in $(seq 50); do grep -q "\"DELETED\"" watch.out && break; sleep 0.1; done &&
	grep -q "\"type\":\"DELETED\"" watch.out &&
	test_pid_alive $wpid &&
	kill $wpid
'

test_expect_success '50 MB: 52 POSTs of 1 MB in, one list of 50 MB out, never held whole' '
	python3 -c "import json
for i in range(1, 53):
    open(\"cm-%02d.json\" % i, \"w\").write(json.dumps({\"metadata\": {\"name\": \"big-%02d\" % i}, \"data\": {\"blob\": \"%02d\" % i * 500000}}))" &&
	for i in $(seq -w 1 52); do
		curl -fsS -o /dev/null -H "Content-Type: application/json" --data-binary @cm-$i.json \
			"$URL/api/v1/namespaces/default/configmaps" || return 1
	done &&
	curl -fsS -D list.h "$URL/api/v1/namespaces/default/configmaps?labelSelector=" >list.json &&
	test "$(stat -c %s list.json)" -gt 50000000 &&
	grep -qi "^transfer-encoding: chunked" list.h &&
	jq "[.items[] | select(.metadata.name | startswith(\"big-\"))] | length" list.json >n &&
	echo 52 >expect && test_cmp expect n &&
	rss=$(ps -o rss= -p $PID) &&
	echo "proxy RSS after 100 MB through it: $rss KiB" &&
	if ldd "$KL_BIN" | grep -q libasan; then
		echo "(AddressSanitizer keeps freed memory in quarantine: RSS not checked)"
	else
		test "$rss" -lt 40000
	fi
'

test_expect_success 'a slow reader of the 50 MB list: its stream waits (flow control), the others do not' '
	{ curl -fsS --limit-rate 10M -o slow.json "$URL/api/v1/namespaces/default/configmaps?labelSelector=" & } &&
	spid=$! &&
	sleep 1 &&
	for i in $(seq 5); do
		curl -fsS -m 2 -o /dev/null -w "%{time_total}\n" "$URL/version" >>times || return 1
	done &&
	rss=$(ps -o rss= -p $PID) &&
	echo "while a client reads at 10 MB/s: /version in $(tr "\n" " " <times)s; proxy RSS $rss KiB" &&
	test_pid_alive $spid &&
	wait $spid &&
	test "$(stat -c %s slow.json)" -gt 50000000 &&
	if ! ldd "$KL_BIN" | grep -q libasan; then test "$rss" -lt 40000; fi
'

test_expect_success 'a chunked request body goes through' '
	curl -fsS -o put.json -X PUT -H "Transfer-Encoding: chunked" -H "Content-Type: application/json" \
		--data-binary @cm-52.json "$URL/api/v1/namespaces/default/configmaps/big-52" &&
	jq -e ".metadata.name == \"big-52\"" put.json
'

test_expect_success '200 clients at once all get their answer' '
	for i in $(seq 200); do echo "url = \"$URL/api/v1/namespaces/default/configmaps/via-kubectl?c=$i\""; echo "output = /dev/null"; done >many.cfg &&
	curl -sS -Z --parallel-max 200 -K many.cfg -w "%{http_code}\n" >codes &&
	sort codes | uniq -c >counts &&
	cat counts &&
	echo "    200 200" >expect && test_cmp expect counts
'

test_expect_success 'connections to the API server are reused' '
	upstreams() { ss -Htnp state established "( dport = :$KL_FX_PORT )" | grep -c "pid=$PID,"; } &&
	n0=$(upstreams) &&
	for i in $(seq 50); do curl -fsS -o /dev/null "$URL/version" || return 1; done &&
	n1=$(upstreams) &&
	echo "upstream connections: $n0 before 50 requests, $n1 after" &&
	test "$n1" -le $((n0 + 1))
'

test_expect_success 'an API server our CA does not verify: 502 saying so' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=other-ca \
		-keyout other.key -out other.crt -days 1 2>/dev/null &&
	CA=$PWD/other.crt start_proxy wrongca &&
	curl -sS -D h -o body "http://127.0.0.1:$PORT/version" &&
	head -n1 h | grep -q " 502 " &&
	grep -q "certificate our CA does not verify" body &&
	kill -INT $PID
'

test_expect_success 'the Host guard: 403 unless localhost, 127.0.0.1 or [::1]' '
	code() { curl -sS -o /dev/null -w "%{http_code}" -H "Host: $1" "$URL/version"; } &&
	test "$(code evil.example)" = 403 &&
	test "$(code evil.example:$PORT)" = 403 &&
	test "$(code 127.0.0.1.evil.example)" = 403 &&
	test "$(code localhost:$PORT)" = 200 &&
	test "$(code 127.0.0.1)" = 200 &&
	test "$(code "[::1]:$PORT")" = 200 &&
	curl -sS -H "Host: evil.example" "$URL/version" >body &&
	grep -q "DNS rebinding" body
'

test_expect_success 'exec, attach and portforward are refused; --reject-paths=^$ lets them through' '
	for p in exec attach portforward %65xec; do
		test "$(curl -sS -o /dev/null -w "%{http_code}" -X POST "$URL/api/v1/namespaces/default/pods/x/$p?command=ls")" = 403 || return 1
	done &&
	start_proxy open --reject-paths "^$" &&
	curl -sS -o body.json -X POST "http://127.0.0.1:$PORT/api/v1/namespaces/default/pods/x/exec?command=ls" &&
	jq -e ".reason == \"NotFound\"" body.json &&
	kill -INT $PID
'

test_expect_success 'a bad expression is a usage error' '
	test_expect_code 14 kubelaunch proxy --port 0 --reject-paths "(" --server "$KL_FX_SERVER" \
		--certificate-authority "$FX/pki/ca.crt" --client-certificate "$FX/pki/admin.crt" \
		--client-key "$FX/pki/admin.key" 2>err &&
	grep "not a regular expression" err
'

test_expect_success 'the API server killed: 502 with the reason; started again: answers, same proxy' '
	ap=$(cat "$FX/kube-apiserver.pid") &&
	tr "\0" "\n" </proc/$ap/cmdline >apiserver.argv &&
	kill $ap && while test_pid_alive $ap; do sleep 0.1; done &&
	curl -sS -D h502 -o body502 "$URL/version" &&
	head -n1 h502 | grep -q " 502 " &&
	grep -q "cannot be reached: connection refused" body502 &&
	(set -- && while IFS= read -r a; do set -- "$@" "$a"; done <apiserver.argv &&
		{ setsid "$@" >"$FX/kube-apiserver.log" 2>&1 </dev/null & } && echo $! >"$FX/kube-apiserver.pid") &&
	for _ in $(seq 150); do curl -fs -o /dev/null "$URL/readyz" && break; sleep 0.2; done &&
	curl -fsS "$URL/version" | jq -e .gitVersion &&
	test_pid_alive $PID
'

test_expect_success 'a TLS server without h2: HTTP/1.1 to it (openssl s_server)' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout s.key -out s.crt -days 1 2>/dev/null &&
	mkdir www && echo "served over HTTP/1.1" >www/hello.txt &&
	sport=$(free_port) &&
	{ (cd www && exec openssl s_server -quiet -accept 127.0.0.1:$sport -cert ../s.crt -key ../s.key \
		-alpn http/1.1 -WWW) >s_server.log 2>&1 </dev/null & } &&
	test_track_pid $! &&
	for _ in $(seq 50); do curl -sk -o /dev/null "https://127.0.0.1:$sport/hello.txt" && break; sleep 0.1; done &&
	SERVER=https://127.0.0.1:$sport CA=$PWD/s.crt start_proxy h1 &&
	curl -fsS "http://127.0.0.1:$PORT/hello.txt" >got &&
	curl -fsS "http://127.0.0.1:$PORT/hello.txt" >>got &&
	printf "served over HTTP/1.1\nserved over HTTP/1.1\n" >expect && test_cmp expect got &&
	grep "does not speak HTTP/2: HTTP/1.1" h1.err &&
	kill -INT $PID
'

test_expect_success 'the first SIGINT closes every connection and ends the proxy with 0' '
	{ curl -sSN "$URL/api/v1/namespaces/default/configmaps?watch=1" >/dev/null & } &&
	wpid=$! && sleep 0.5 &&
	kill -INT $PID &&
	for _ in $(seq 30); do test_pid_alive $PID || break; sleep 0.1; done &&
	! test_pid_alive $PID &&
	echo 0 >expect && test_cmp expect p.rc &&
	for _ in $(seq 30); do test_pid_alive $wpid || break; sleep 0.1; done &&
	! test_pid_alive $wpid
'

test_done
