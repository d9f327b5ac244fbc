#!/bin/sh
# test.sh: the one command that runs every test (README, .ci/run).
# Unit, integration (real chronyd, ntpd, gpsd, Chromium) and golden tests,
# the race detector on the concurrent packages, then each fuzz target for a
# bounded time beyond its seed corpus.
set -eu
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-15s}

go vet ./...
# One package at a time (-p 1): the real-daemon tests of a package run in
# parallel among themselves, and 2 cores shared with other packages' daemons
# would only make their timing noisier.
go test -count=1 -p 1 -timeout 30m ./...
go test -count=1 -race -timeout 10m ./internal/daemon/... ./internal/server/... ./internal/notify/...

# Every fuzz target, each for $FUZZTIME (go test -fuzz takes one target at a
# time). Fuzzing runs on Go 1.27.3 (fetched from the module proxy, as for the
# release build): Go 1.26's fuzz coordinator can report a spurious "context
# deadline exceeded" failure as -fuzztime ends (golang/go#75804, fixed in 1.27).
FUZZ_TOOLCHAIN=${FUZZ_TOOLCHAIN:-go1.27.3}
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		echo "fuzz $pkg $target for $FUZZTIME"
		GOTOOLCHAIN=$FUZZ_TOOLCHAIN go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
	done
done
