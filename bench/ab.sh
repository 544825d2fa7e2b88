#!/usr/bin/env bash
# bench/ab.sh: make bench-ab. Builds the benchmark runner twice, from the
# SDK at BASE and from the working tree, each with the working tree's
# bench/cmd/runner (so both print the same figures), and runs them
# alternately, ROUNDS times, one repetition each, on the same kfake broker
# binary. Then it prints, per figure, both builds' medians and ranges.
#
# This machine's noise comes in minutes-long phases (one binary's run can
# take 30% longer from one minute to the next), so a difference is only
# worth something between builds run alternately, over several rounds.
#
#   make bench-ab BASE=3389943                         # every part but heap, latency, http
#   make bench-ab BASE=main~3 BENCH_ONLY=mix,types100 ROUNDS=8 AB_N=3000000
set -euo pipefail

base=${BASE:?set BASE to a git revision (the build to compare the working tree with)}
rounds=${ROUNDS:-6}
n=${AB_N:-3000000}
only=${BENCH_ONLY:-base,encode,mix,wide,types100,str1k}
go=${GO:-go}
root=$(git rev-parse --show-toplevel)
out=${BENCH_BIN:-${TMPDIR:-/tmp}/sasquatch-go-bench}/ab
mkdir -p "$out"
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

echo "# building the broker, and the runner from the working tree and from $base"
(cd "$root" && CGO_ENABLED=0 $go build -o "$out/broker" ./bench/cmd/broker)
(cd "$root" && CGO_ENABLED=0 $go build -o "$out/runner-head" ./bench/cmd/runner)
git -C "$root" worktree add --detach -q "$work/base" "$base"
rm -rf "$work/base/bench/cmd/runner"
cp -r "$root/bench/cmd/runner" "$work/base/bench/cmd/runner"
cp "$root/bench/event/"*.go "$work/base/bench/event/" 2>/dev/null || true
if ! (cd "$work/base" && CGO_ENABLED=0 $go build -o "$out/runner-base" ./bench/cmd/runner) 2>"$work/build.log"; then
	echo "bench-ab: the working tree's runner does not build against the SDK at $base:" >&2
	sed 's/^/  /' "$work/build.log" >&2
	exit 2
fi

results="$out/ab-$(date +%Y%m%dT%H%M%S).txt"
: >"$results"
for i in $(seq 1 "$rounds"); do
	for build in base head; do
		echo "# round $i/$rounds $build (load $(cut -d' ' -f1 /proc/loadavg))"
		"$out/runner-$build" -broker="$out/broker" -only "$only" -reps 1 -n "$n" 2>&1 |
			awk -v b="$build" '/^(RATIO|CPU|ALLOCS|ENCODE|HEAP|LATENCY) / && $3 != "SKIP" { print b, $1, $2, $3 }' >>"$results"
	done
done

echo "# $rounds rounds, n=$n, only=$only; base=$base ($(git -C "$root" rev-parse --short "$base")), head=working tree"
echo "# figure: base median (min-max) | head median (min-max) | head/base"
awk '
	{ k = $2 " " $3; v[$1, k, ++c[$1, k]] = $4; if (!(k in seen)) { seen[k] = 1; order[++nk] = k } }
	function med(b, k,   m, i, j, t, a) {
		m = c[b, k]
		for (i = 1; i <= m; i++) a[i] = v[b, k, i] + 0
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		lo[b] = a[1]; hi[b] = a[m]
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	END {
		for (i = 1; i <= nk; i++) {
			k = order[i]
			if (!c["base", k] || !c["head", k]) continue
			mb = med("base", k); mh = med("head", k)
			printf "%-58s %9.3f (%s-%s) | %9.3f (%s-%s) | %s\n", k, mb, lo["base"], hi["base"], mh, lo["head"], hi["head"], (mb != 0 ? sprintf("%.3f", mh / mb) : "-")
		}
	}' "$results"
echo "# raw lines: $results"
