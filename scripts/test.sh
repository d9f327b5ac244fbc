#!/bin/sh
# test.sh: the one command that runs every test (README, .ci/run).
# Unit, integration (real chronyd, ntpd, gpsd, Chromium) and golden tests,
# the race detector on the concurrent packages, then each fuzz target for a
# bounded time beyond its seed corpus.
#
# Each run goes through gotestsum (go.mod's tool, so its version is pinned:
# `go tool gotestsum`), which keeps `go test -json`'s events in a file;
# scripts/testsummary then lists every skipped test with its reason and closes
# the run with "LABEL: N passed, N failed, N skipped" (unit, race, fuzz, and a
# last "total:" over all three). Under CI (env CI set) a skipped test fails the
# run unless scripts/ci-allowed-skips.txt lists it with the reason it may.
# Every run goes on after a failure; the script exits 1 at the end if any run
# failed.
set -eu
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-15s}
ALLOW=scripts/ci-allowed-skips.txt
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0

go vet ./...
go build -o "$out/testsummary" ./scripts/testsummary
go tool gotestsum --version >/dev/null # build it now, not inside the first run

# summary LABEL FILE...: the skipped tests and the closing line of a run.
summary() {
	label=$1
	shift
	"$out/testsummary" -label "$label" -allow "$ALLOW" "$@" || status=1
}

# One package at a time (-p 1): the real-daemon tests of a package run in
# parallel among themselves, and 2 cores shared with other packages' daemons
# would only make their timing noisier.
go tool gotestsum --format pkgname --hide-summary=skipped --jsonfile "$out/unit.json" -- \
	-count=1 -p 1 -timeout 30m ./... || status=1
summary unit "$out/unit.json"

go tool gotestsum --format pkgname --hide-summary=skipped --jsonfile "$out/race.json" -- \
	-count=1 -race -timeout 10m ./internal/daemon/... ./internal/server/... ./internal/notify/... || status=1
summary race "$out/race.json"

# Every fuzz target, each for $FUZZTIME (go test -fuzz takes one target at a
# time). Fuzzing runs on Go 1.27.3 (fetched from the module proxy, as for the
# release build): Go 1.26's fuzz coordinator can report a spurious "context
# deadline exceeded" failure as -fuzztime ends (golang/go#75804, fixed in 1.27).
FUZZ_TOOLCHAIN=${FUZZ_TOOLCHAIN:-go1.27.3}
n=0
fuzzfiles=
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		n=$((n + 1))
		fuzzfiles="$fuzzfiles $out/fuzz-$n.json"
		echo "fuzz $pkg $target for $FUZZTIME"
		GOTOOLCHAIN=$FUZZ_TOOLCHAIN go tool gotestsum --format standard-quiet --hide-summary=skipped \
			--jsonfile "$out/fuzz-$n.json" -- -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" || status=1
	done
done
if [ -n "$fuzzfiles" ]; then
	summary fuzz $fuzzfiles
fi

"$out/testsummary" -counts-only -label total "$out/unit.json" "$out/race.json" $fuzzfiles || status=1
exit $status
