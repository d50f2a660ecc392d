#!/usr/bin/env bash
# Certificates: the chain as openssl sees it, SANs and usages, reuse while the SAN set
# is unchanged, replacement when it changes, corrupt CA files are errors.
. "$(dirname "$0")/test-lib.sh"

KL_UNIT=${KL_UNIT:-$KL_SRC/build/default/unit-tests}

# certs [VAR=VALUE...]: kl_certs_ensure through the unit binary's hook.
certs() {
	env KL_CERTS_HOME="$KUBELAUNCH_HOME" KL_CERTS_PROFILE=dev KL_CERTS_NODE_NAME=kubelaunch \
		KL_CERTS_NODE_IP=192.168.39.10 "$@" "$KL_UNIT" certs_helper_from_env >"$TRASH/certs.out" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || cat "$TRASH/certs.out" >&2
	return $rc
}
CA=$KUBELAUNCH_HOME/certs
P=$KUBELAUNCH_HOME/profiles/dev/certs

sans() {
	openssl x509 -noout -ext subjectAltName -in "$1" | tail -n +2 | tr -d ' ' | tr ',' '\n' | sort
}

if [ ! -x "$KL_UNIT" ]; then
	test_skip_or_fail "the unit binary '$KL_UNIT' is not built: run 'make build/default/unit-tests'"
	test_done
	exit
fi

test_expect_success 'first run creates the CAs and the profile certificates' '
	certs KL_CERTS_NAMES=dev.example,API.Example KL_CERTS_IPS=10.0.0.5 &&
	grep -q "apiserver issued" certs.out &&
	for f in ca front-proxy-ca; do
		test "$(stat -c %a "$CA/$f.key")" = 600 && test "$(stat -c %a "$CA/$f.crt")" = 644 || return 1
	done &&
	for f in apiserver apiserver-kubelet-client front-proxy-client client; do
		test "$(stat -c %a "$P/$f.key")" = 600 && test "$(stat -c %a "$P/$f.crt")" = 644 || return 1
	done &&
	test "$(stat -c %a "$P/sa.key")" = 600 && test "$(stat -c %a "$P/sa.pub")" = 644 &&
	openssl pkey -in "$P/sa.key" -noout && openssl pkey -pubin -in "$P/sa.pub" -noout &&
	test -z "$(find "$CA" "$P" -name "*.tmp.*")"
'

test_expect_success 'the chain verifies with openssl' '
	openssl verify -CAfile "$CA/ca.crt" "$P/apiserver.crt" "$P/apiserver-kubelet-client.crt" "$P/client.crt" &&
	openssl verify -CAfile "$CA/front-proxy-ca.crt" "$P/front-proxy-client.crt" &&
	test_must_fail openssl verify -CAfile "$CA/front-proxy-ca.crt" "$P/apiserver.crt" &&
	openssl verify -purpose sslserver -CAfile "$CA/ca.crt" "$P/apiserver.crt" &&
	openssl verify -purpose sslclient -CAfile "$CA/ca.crt" "$P/client.crt" &&
	test_must_fail openssl verify -purpose sslclient -CAfile "$CA/ca.crt" "$P/apiserver.crt"
'

test_expect_success 'the CA: CN kubelaunchCA, a CA, about ten years' '
	openssl x509 -in "$CA/ca.crt" -noout -subject | grep -q "CN *= *kubelaunchCA" &&
	openssl x509 -in "$CA/ca.crt" -noout -text >ca.txt &&
	grep -q "CA:TRUE" ca.txt && grep -q "Certificate Sign" ca.txt &&
	grep -q "ASN1 OID: prime256v1" ca.txt &&
	openssl x509 -in "$CA/ca.crt" -noout -checkend $((9 * 365 * 86400)) &&
	! openssl x509 -in "$CA/ca.crt" -noout -checkend $((11 * 365 * 86400))
'

test_expect_success 'the API server certificate: SANs, serverAuth, three years' '
	sans "$P/apiserver.crt" >got &&
	sort >want <<-EOF &&
	DNS:kubelaunch
	DNS:localhost
	DNS:kubernetes
	DNS:kubernetes.default
	DNS:kubernetes.default.svc
	DNS:kubernetes.default.svc.cluster.local
	DNS:control-plane.kubelaunch.internal
	DNS:dev.example
	DNS:API.Example
	IPAddress:192.168.39.10
	IPAddress:127.0.0.1
	IPAddress:10.96.0.1
	IPAddress:10.0.0.5
	EOF
	test_cmp want got &&
	openssl x509 -in "$P/apiserver.crt" -noout -text >api.txt &&
	grep -q "TLS Web Server Authentication" api.txt && ! grep -q "Client Authentication" api.txt &&
	grep -q "CA:FALSE" api.txt &&
	openssl x509 -in "$P/apiserver.crt" -noout -checkend $((3 * 365 * 86400 - 86400)) &&
	! openssl x509 -in "$P/apiserver.crt" -noout -checkend $((3 * 365 * 86400 + 86400))
'

test_expect_success 'client certificates: subjects and clientAuth' '
	openssl x509 -in "$P/client.crt" -noout -subject -nameopt RFC2253 >subj &&
	grep -q "CN=kubelaunch-user,O=system:masters" subj &&
	openssl x509 -in "$P/apiserver-kubelet-client.crt" -noout -subject -nameopt RFC2253 |
		grep -q "CN=kube-apiserver-kubelet-client,O=system:masters" &&
	openssl x509 -in "$P/front-proxy-client.crt" -noout -subject | grep -q "CN *= *front-proxy-client" &&
	for f in client apiserver-kubelet-client front-proxy-client; do
		openssl x509 -in "$P/$f.crt" -noout -text | grep -q "TLS Web Client Authentication" || return 1
	done
'

test_expect_success 'same SANs (other order, other case): nothing is issued again' '
	serial=$(openssl x509 -in "$P/apiserver.crt" -noout -serial) &&
	mtime=$(stat -c %Y.%y "$P/apiserver.crt") && camtime=$(stat -c %y "$CA/ca.crt") &&
	sleep 1 &&
	certs KL_CERTS_NAMES=api.example,dev.example KL_CERTS_IPS=10.0.0.5,127.0.0.1 &&
	! grep -q "apiserver issued" certs.out &&
	test "$(openssl x509 -in "$P/apiserver.crt" -noout -serial)" = "$serial" &&
	test "$(stat -c %Y.%y "$P/apiserver.crt")" = "$mtime" &&
	test "$(stat -c %y "$CA/ca.crt")" = "$camtime"
'

test_expect_success 'other --apiserver-names: the API server certificate is replaced, the CA kept' '
	serial=$(openssl x509 -in "$P/apiserver.crt" -noout -serial) &&
	caserial=$(openssl x509 -in "$CA/ca.crt" -noout -serial) &&
	clientserial=$(openssl x509 -in "$P/client.crt" -noout -serial) &&
	certs KL_CERTS_NAMES=new.example KL_CERTS_IPS=10.0.0.5 &&
	grep -q "apiserver issued" certs.out &&
	test "$(openssl x509 -in "$P/apiserver.crt" -noout -serial)" != "$serial" &&
	test "$(openssl x509 -in "$CA/ca.crt" -noout -serial)" = "$caserial" &&
	test "$(openssl x509 -in "$P/client.crt" -noout -serial)" = "$clientserial" &&
	sans "$P/apiserver.crt" | grep -qx "DNS:new.example" &&
	! sans "$P/apiserver.crt" | grep -q "dev.example" &&
	openssl verify -CAfile "$CA/ca.crt" "$P/apiserver.crt"
'

test_expect_success 'a second profile shares the CA' '
	certs KL_CERTS_PROFILE=other &&
	openssl verify -CAfile "$CA/ca.crt" "$KUBELAUNCH_HOME/profiles/other/certs/apiserver.crt"
'

test_expect_success '--cert-expiration: a short life, and renewal when it nears its end' '
	certs KL_CERTS_EXPIRATION=48h KL_CERTS_NAMES=new.example KL_CERTS_IPS=10.0.0.5 &&
	grep -q "apiserver issued" certs.out &&
	openssl x509 -in "$P/apiserver.crt" -noout -checkend $((47 * 3600)) &&
	! openssl x509 -in "$P/apiserver.crt" -noout -checkend $((49 * 3600)) &&
	certs KL_CERTS_EXPIRATION=48h KL_CERTS_NAMES=new.example KL_CERTS_IPS=10.0.0.5 &&
	! grep -q "apiserver issued" certs.out &&
	: "a 20-day certificate: the 48-hour one is within its renewal window of 10 days" &&
	certs KL_CERTS_EXPIRATION=480h KL_CERTS_NAMES=new.example KL_CERTS_IPS=10.0.0.5 &&
	grep -q "apiserver issued" certs.out &&
	certs KL_CERTS_EXPIRATION=480h KL_CERTS_NAMES=new.example KL_CERTS_IPS=10.0.0.5 &&
	! grep -q "apiserver issued" certs.out &&
	: "back to three years: 20 days left is within the 30-day renewal window" &&
	certs KL_CERTS_NAMES=new.example KL_CERTS_IPS=10.0.0.5 &&
	grep -q "apiserver issued" certs.out &&
	openssl x509 -in "$P/apiserver.crt" -noout -checkend $((2 * 365 * 86400))
'

test_expect_success 'a bad IP in --apiserver-ips is a usage error' '
	test_must_fail certs KL_CERTS_IPS=10.0.0.300 &&
	grep -q "USAGE_BAD_VALUE.*10.0.0.300" certs.out
'

test_expect_success 'a corrupt CA is an error naming the file, and is left as it is' '
	cp "$CA/ca.crt" ca.good && echo garbage >"$CA/ca.crt" &&
	test_must_fail certs &&
	grep -q "K8S_CERTS.*$CA/ca.crt" certs.out &&
	test "$(cat "$CA/ca.crt")" = garbage &&
	cp ca.good "$CA/ca.crt" &&
	head -c 100 "$CA/front-proxy-ca.key" >fp.key && mv fp.key "$CA/front-proxy-ca.key" &&
	test_must_fail certs &&
	grep -q "K8S_CERTS.*front-proxy-ca.key" certs.out
'

test_done
