#!/usr/bin/env bash
# slow: Kubernetes' own conformance tests (e2e.test of the bench's k8s.io/kubernetes,
# run by ginkgo) against a none-driver cluster started from the test bench, as t0700
# starts it. The set is tests/conformance/set.txt; the conformance tests its areas leave
# out because their images cannot be built here are tests/conformance/excluded.txt, each
# reported as skipped with the image. Nothing is pulled: every image a test of the set
# names is built by the bench under the reference the test uses, and imported from a
# bundle of the control plane's archives and those (--image-bundle).
#
# Reports (ginkgo's JUnit and JSON, a summary, e2e's log) go to KL_CONFORMANCE_OUT
# (default build/conformance); KL_CONFORMANCE_PROCS ginkgo processes (default 3);
# KL_CONFORMANCE_FOCUS, a regular expression, runs only the tests of the set it matches.
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
. "$KL_SRC/tests/t/lib-cluster.sh"

CONF=$KL_SRC/tests/conformance
TB=$KL_SRC/tests/testbench
OUT=${KL_CONFORMANCE_OUT:-$KL_SRC/build/conformance}
# names FILE: the test names of a list (its lines that are neither comments nor blank,
# nor "@ reason" headers).
names() { grep -v '^#\|^@\|^$' "$1"; }
# The images the set needs ("# image: REF" lines of set.txt), and the bench's recipes
# of those that are not the control plane's: only these are built and imported.
images=$(sed -n 's/^# image: //p' "$CONF/set.txt")
addons=$("$TB/addons.sh" list | while read -r name _ image; do
	case " $(echo $images) " in *" $image "*) echo "$name" ;; esac
done)

# shellcheck disable=SC2086
if ! { "$TB/build.sh" build && "$TB/addons.sh" build $addons && make -s -C "$KL_SRC" testbench-e2e; } \
	>"$TRASH/build.log" 2>&1 || ! eval "$(tb_env)" || ! eval "$(make -s -C "$KL_SRC" testbench-e2e-env)" ||
	[ ! -e "$KL_E2E_DIR/.complete" ]; then
	test_skip_or_fail "the test bench or e2e.test could not be built: $(tail -n3 "$TRASH/build.log")"
	test_done
	exit
fi
KUBECTL=$KL_TB_BIN/kubectl
export PATH=$KL_TB_BIN:$PATH
rm -rf "$OUT"
mkdir -p "$OUT"

# selected NAME: the test is in this run (KL_CONFORMANCE_FOCUS matches it, or is unset).
selected() { printf '%s\n' "$1" | grep -qE -- "${KL_CONFORMANCE_FOCUS:-.}"; }
# The selected names as one regular expression (ginkgo's --focus). Ginkgo matches it
# against "<suite description> <test name>": each name is anchored at its end and by
# the space before it.
focus=$(names "$CONF/set.txt" | grep -E -- "${KL_CONFORMANCE_FOCUS:-.}" |
	sed 's/[][(){}.*+?^$|\\]/\\&/g; s/^/ /; s/$/$/' | paste -sd'|')
if [ -z "$focus" ]; then
	test_skip_or_fail "KL_CONFORMANCE_FOCUS='${KL_CONFORMANCE_FOCUS:-}' matches no test of the set"
	test_done
	exit
fi

# The bundle: the control plane's archives and those of the set's images.
BUNDLE=$TRASH/bundle
mkdir -p "$BUNDLE"
ln "$KL_TB_K8S_IMAGES"/*.tar "$BUNDLE/"
for a in $addons; do ln "$("$TB/addons.sh" dir "$a")"/*.tar "$BUNDLE/"; done

serve_mirror
START="kubelaunch start --driver=none --kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR \
	--image-bundle $BUNDLE --dns-upstream=none --wait-timeout 8m"
test_when_finished "kubelaunch delete"

test_expect_success 'the set and the exclusions name conformance tests of this e2e.test, once each' '
	"$KL_E2E_BIN/e2e.test" --list-tests >all &&
	grep "\[Conformance\]" all | sed "s/^ *[^ ]*:[0-9]*: //; s/ *$//" | sort >conformance &&
	{ names "$CONF/set.txt"; names "$CONF/excluded.txt"; } | sort >listed &&
	test -z "$(uniq -d listed)" &&
	comm -13 conformance listed >unknown && test_cmp /dev/null unknown
'

test_expect_success 'the images the set needs are the references e2e.test uses' '
	"$KL_E2E_BIN/e2e.test" --list-images >used &&
	for i in $images; do grep -qx "$i" used || { echo "e2e.test does not use $i"; exit 1; }; done
'

test_expect_success 'start brings up a cluster from the bench' '
	$START >out 2>err &&
	cluster_is_up
'

test_expect_success 'the images are on the node, imported from the bundle' '
	ctr -n k8s.io images ls -q >node-images &&
	for i in $images; do grep -qx "$i" node-images || { echo "not imported: $i"; exit 1; }; done
'

t0=$(date +%s)
test_expect_success 'ginkgo runs the set against the cluster and reports every test' '
	rc=0 &&
	{ "$KL_E2E_BIN/ginkgo" --procs="${KL_CONFORMANCE_PROCS:-3}" --focus="$focus" --no-color \
		--timeout=2h --junit-report=junit.xml --json-report=report.json --output-dir="$OUT" \
		"$KL_E2E_BIN/e2e.test" -- --kubeconfig="$HOME/.kube/config" --provider=skeleton \
		--kubectl-path="$KL_TB_BIN/kubectl" --e2e-output-dir="$OUT/e2e" \
		>"$OUT/e2e.log" 2>&1 || rc=$?; } &&
	echo "ginkgo exited $rc" &&
	test -s "$OUT/junit.xml" && test -s "$OUT/report.json"
'
echo $(( $(date +%s) - t0 )) >"$OUT/seconds"

# The report's tests, one a line: name, state, seconds, the failure's first 600 characters.
jq -r '.[].SpecReports[] | select(.LeafNodeType == "It") |
	[(.ContainerHierarchyTexts + [.LeafNodeText] | join(" ")), .State,
	 ((.RunTime // 0) / 1e9 | floor | tostring),
	 ((.Failure.Message // "") | gsub("[\t\n]"; " ") | .[0:600])] | @tsv' \
	"$OUT/report.json" >"$TRASH/results" 2>/dev/null

# spec NAME: the report's entry of the test NAME as "state<TAB>seconds<TAB>failure".
spec() {
	awk -F'\t' -v n="$1" '$1 == n { print $2 "\t" $3 "\t" $4 }' "$TRASH/results"
}

# spec_passed NAME: the report says NAME passed; else what it says instead.
spec_passed() {
	local state
	state=$(spec "$1" | cut -f1)
	[ "$state" = passed ] && return 0
	echo "${state:-missing from the report}: $(spec "$1" | cut -f3)"
	[ "$state" = skipped ] && echo "(skipped without a reason: the focus did not select it)"
	return 1
}

while IFS= read -r name; do
	if ! selected "$name"; then
		test_skip "$name" "not selected by KL_CONFORMANCE_FOCUS"
		continue
	fi
	IFS=$'\t' read -r state secs why <<<"$(spec "$name")"
	if [ "$state" = skipped ] && [ -n "$why" ]; then
		test_skip "$name" "skipped by the test: $why"
	else
		test_expect_success "$name (${secs:-0}s)" 'spec_passed "$name"'
	fi
	printf '%s\t%s\t%s\n' "${state:-missing}" "${secs:-0}" "$name" >>"$OUT/summary.tsv"
done < <(names "$CONF/set.txt")

reason=
while IFS= read -r line; do
	case $line in
	'@ '*) reason=${line#@ } ;;
	'#'* | '') ;;
	*) test_skip "$line" "excluded: $reason"
		printf 'excluded\t%s\t%s\n' "$reason" "$line" >>"$OUT/summary.tsv" ;;
	esac
done <"$CONF/excluded.txt"

test_done
