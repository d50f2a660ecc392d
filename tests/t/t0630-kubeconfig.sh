#!/usr/bin/env bash
# Kubeconfig: merge and removal keep every entry that is not ours, as the real kubectl
# sees it (kubectl config view --raw -o json before and after, ours filtered out).
# YAML comments are lost on a write (libyaml's tree keeps none): this test says so below.
. "$(dirname "$0")/test-lib.sh"

KL_UNIT=${KL_UNIT:-$KL_SRC/build/default/unit-tests}

. "$KL_SRC/tests/t/lib-testbench.sh"

# KL_KUBECTL overrides the testbench's kubectl (to run this test by hand).
KUBECTL=${KL_KUBECTL:-}
if [ -z "$KUBECTL" ] && env_out=$(tb_env 2>/dev/null) && eval "$env_out" && [ -x "${KL_TB_BIN:-}/kubectl" ]; then
	KUBECTL=$KL_TB_BIN/kubectl
fi

# kc OP PROFILE [VAR=VALUE...]: one kubeconfig operation through the unit binary's hook.
kc() {
	local op=$1 profile=$2
	shift 2
	env KL_KC_OP="$op" KL_KC_PROFILE="$profile" KL_KC_SERVER=https://192.168.39.10:8443 \
		KL_KC_CA="$TRASH/pki/ca.crt" KL_KC_CERT="$TRASH/pki/client.crt" KL_KC_KEY="$TRASH/pki/client.key" \
		"$@" "$KL_UNIT" kubeconfig_helper_from_env >"$TRASH/kc.out" 2>&1 ||
		{ cat "$TRASH/kc.out" >&2; return 1; }
}

# view FILE: what kubectl makes of FILE, minus what is ours (profile "dev").
view() {
	"$KUBECTL" --kubeconfig "$1" config view --raw -o json
}
# list_names LIST FILE: the entry names of a top-level list, in file order (kubectl sorts).
list_names() {
	awk -v list="$1:" '$0 == list { f = 1; next } /^[a-z]/ { f = 0 } f && /^(- |  )name: / { print $NF }' "$2"
}
not_ours() {
	jq -S 'del(.clusters[]? | select(.name == "dev")) | del(.users[]? | select(.name == "dev"))
		| del(.contexts[]? | select(.name == "dev")) | del(."current-context")'
}

mkdir -p "$TRASH/pki" && printf 'ca\n' >"$TRASH/pki/ca.crt" && printf 'crt\n' >"$TRASH/pki/client.crt" &&
	printf 'key\n' >"$TRASH/pki/client.key"

cat >"$TRASH/rich.yaml" <<'EOF'
# a comment that kubelaunch's rewrite drops (libyaml keeps no comments)
apiVersion: v1
kind: Config
preferences:
  colors: true
  extensions:
  - name: pref-ext
    extension: {kind: Something, apiVersion: v9, spec: {a: [1, 2]}}
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: Y2EK
    tls-server-name: prod.internal
    proxy-url: http://proxy.local:3128
    extensions:
    - name: cluster_info
      extension:
        last-update: Mon, 01 Jan 2024 00:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
- name: "8443"
  cluster:
    insecure-skip-tls-verify: true
    server: 'https://127.0.0.1:8080'
users:
- name: admin
  user:
    client-certificate-data: Y3J0Cg==
    client-key-data: a2V5Cg==
- name: token-user
  user:
    token: abc.def
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      args: [--verbose, "on", "8443"]
      env:
      - name: FOO
        value: "true"
      installHint: install it
      interactiveMode: IfAvailable
      provideClusterInfo: true
contexts:
- name: prod
  context:
    cluster: prod
    user: admin
    namespace: kube-system
    extensions:
    - name: ctx-ext
      extension: {x: y}
- name: exec
  context: {cluster: prod, user: exec-user}
current-context: prod
EOF

if [ ! -x "$KL_UNIT" ]; then
	test_skip_or_fail "the unit binary '$KL_UNIT' is not built: run 'make build/default/unit-tests'"
elif [ -z "$KUBECTL" ] || [ ! -x "$KUBECTL" ]; then
	test_skip_or_fail "no kubectl from the testbench: run 'make testbench' (or set KL_KUBECTL)"
else
	test_expect_success 'merge into a rich kubeconfig keeps every other entry as kubectl sees it' '
		cp rich.yaml config &&
		view config | not_ours >before.json &&
		view config | jq -S . >before-full.json &&
		kc merge dev KL_KC_PATH="$TRASH/config" &&
		view config >after.json &&
		not_ours <after.json >after-filtered.json &&
		test_cmp before.json after-filtered.json &&
		jq -e ".\"current-context\" == \"dev\"" after.json &&
		list_names clusters config >order && printf "%s\n" prod "\"8443\"" dev >want && test_cmp want order &&
		jq -e ".users[] | select(.name == \"dev\") | .user[\"client-key\"] == \"$TRASH/pki/client.key\"" after.json &&
		jq -e ".contexts[] | select(.name == \"dev\") | .context == {cluster: \"dev\", user: \"dev\"}" after.json
	'

	test_expect_success 'the comments are lost (documented), nothing else; the mode stays the user'"'"'s' '
		! grep -q "a comment" config &&
		test "$(stat -c %a config)" = "$(stat -c %a rich.yaml)"
	'

	test_expect_success 'removal gives back what kubectl saw before, current-context cleared' '
		kc remove dev KL_KC_PATH="$TRASH/config" &&
		view config | jq -S . >removed.json &&
		jq -S ".\"current-context\" = \"\"" before-full.json >want.json &&
		test_cmp want.json removed.json
	'

	test_expect_success 'keep-context leaves current-context alone; embed-certs embeds' '
		cp rich.yaml config &&
		kc merge dev KL_KC_PATH="$TRASH/config" KL_KC_KEEP_CONTEXT=1 KL_KC_EMBED=1 &&
		view config >after.json &&
		jq -e ".\"current-context\" == \"prod\"" after.json &&
		jq -e ".users[] | select(.name == \"dev\") | .user[\"client-key-data\"] == \"a2V5Cg==\"" after.json &&
		not_ours <after.json >after-filtered.json && test_cmp before.json after-filtered.json &&
		kc remove dev KL_KC_PATH="$TRASH/config" &&
		view config | jq -S . >removed.json && test_cmp before-full.json removed.json
	'

	test_expect_success 'update-context changes only our server' '
		kc merge dev KL_KC_PATH="$TRASH/config" &&
		kc update dev KL_KC_PATH="$TRASH/config" KL_KC_SERVER=https://10.1.1.1:8443 &&
		view config >after.json &&
		jq -e ".clusters[] | select(.name == \"dev\") | .cluster.server == \"https://10.1.1.1:8443\"" after.json &&
		not_ours <after.json >after-filtered.json && test_cmp before.json after-filtered.json &&
		"$KUBECTL" --kubeconfig config config use-context prod &&
		"$KUBECTL" --kubeconfig config config get-contexts -o name | sort >ctx &&
		printf "%s\n" dev exec prod >want && test_cmp want ctx
	'
fi

test_expect_success 'KUBECONFIG with several paths: only the first is written' '
	mkdir -p k && printf "apiVersion: v1\nkind: Config\n" >k/second &&
	cp k/second k/second.orig &&
	KUBECONFIG="$TRASH/k/first:$TRASH/k/second" kc merge dev &&
	test -s k/first && grep -q "name: dev" k/first &&
	cmp k/second k/second.orig
'

test_expect_success 'no KUBECONFIG: ~/.kube/config is created 0600 in a 0700 ~/.kube' '
	kc merge dev &&
	test "$(stat -c %a "$HOME/.kube")" = 700 &&
	test "$(stat -c %a "$HOME/.kube/config")" = 600
'

test_expect_success 'a kubeconfig that cannot be parsed is left untouched, the error names it' '
	printf "clusters: [\n  - {name: x\n" >broken && cp broken broken.orig &&
	test_must_fail kc merge dev KL_KC_PATH="$TRASH/broken" &&
	grep -q "K8S_KUBECONFIG" kc.out && grep -q "$TRASH/broken" kc.out &&
	cmp broken broken.orig
'

test_expect_success 'the kubectl lock file is honoured: the merge waits for it' '
	cp rich.yaml locked && : >locked.lock &&
	( sleep 1; rm -f locked.lock ) &
	kc merge dev KL_KC_PATH="$TRASH/locked" && grep -q "name: dev" locked && ! test -e locked.lock
'

test_done
