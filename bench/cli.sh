#!/usr/bin/env bash
# bench/cli.sh: whole-process time of `profile list` and `config get` with 200 profiles.
# Baseline: `true` (process start alone) measured in the same run. Target: under 10 ms.
set -eu
: "${KL_BIN:?}"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export KUBELAUNCH_HOME=$home/kl
"$KL_BIN" config set memory 4g
for i in $(seq -w 1 200); do
	mkdir -p "$KUBELAUNCH_HOME/profiles/p$i"
	printf '{"Name":"p%s","Driver":"qemu","ContainerRuntime":"containerd","KubernetesVersion":"v1.34.2","IP":"127.0.0.1","APIServerPort":8443,"Nodes":1,"CPUs":2,"MemoryMiB":4096}\n' \
		"$i" >"$KUBELAUNCH_HOME/profiles/p$i/config.json"
done
test "$("$KL_BIN" profile list -o json | jq '.valid | length')" = 200
json=$home/hf.json
hyperfine -N --warmup 10 --runs 200 --export-json "$json" \
	-n true "true" \
	-n "profile list (200 profiles)" "$KL_BIN profile list" \
	-n "profile list -o json" "$KL_BIN profile list -o json" \
	-n "config get memory" "$KL_BIN config get memory" >/dev/null
jq -r '.results[] | "\(.command): median \(.median * 1000 | . * 100 | round / 100) ms (mean \(.mean * 1000 | . * 100 | round / 100) ms, n=\(.times | length))"' "$json"
base=$(jq '.results[0].median' "$json")
jq -r --argjson b "$base" '.results[1:][] | "\(.command): \((.median / $b) * 100 | round / 100)x the process-start baseline; target < 10 ms: \(if .median < 0.010 then "met" else "MISSED" end)"' "$json"
