#!/bin/sh
# test.sh: the one command that runs every test (README, .ci/run).
# Unit, integration (real chronyd, ntpd, gpsd, Chromium) and golden tests,
# the race detector on the concurrent packages, the pure packages' unit tests
# again on the Raspberry Pi's architectures under qemu-user (arm64, and 32-bit
# ARM with GOARM=6), then each fuzz target for a bounded time beyond its seed
# corpus.
#
# Each run goes through gotestsum (go.mod's tool, so its version is pinned:
# `go tool gotestsum`), which keeps `go test -json`'s events in a file;
# scripts/testsummary then lists every skipped test with its reason and closes
# the run with "LABEL: N passed, N failed, N skipped" (unit, race, qemu-arm64,
# qemu-armv6, fuzz, and a last "total:" over all of them). Under CI (env CI set) a skipped test fails the
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
# Every package, tests included, must also compile for 32-bit ARM (GOARM=6,
# the Pi Zero), where int and the kernel's longs (timex, rusage) are 32 bits:
# most of those tests never run there, but a type that only fits 64 bits
# shows here.
GOARCH=arm GOARM=6 go vet ./... || status=1
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
	-count=1 -race -timeout 10m ./internal/daemon/... ./internal/server/... ./internal/history/... ./internal/notify/... || status=1
summary race "$out/race.json"

# The unit tests of the pure packages (verdicts, config, push targets, text
# and Nagios output, status page and /metrics, the daemon loop, the history
# store) and of the protocol decoders with their fuzz seeds, built for the
# Raspberry Pi's architectures and run under Debian's qemu-user-static (go
# test -exec; binfmt_misc is not needed), each on the oldest CPU of the Pis it
# is for: arm64 on a Cortex-A53 (Pi 3, Zero 2 W), and 32-bit ARM with GOARM=6
# on an ARM1176 (Pi Zero, Pi 1), where int is 32 bits and 64-bit atomics need
# 8-byte alignment. Tests that start daemons, create namespaces, mount or run
# a browser stay in the native runs: QEMU_SKIP names those of the pure
# packages, QEMU_RUN picks the pure tests of the probe packages (whose other
# tests drive real chronyd, ntpd and gpsd). e2e/crossarch, in the unit run,
# runs the foreign release binaries themselves against a real chronyd.
# TestProcessCollectorMatchesClientGolang stays native too: its reference,
# client_golang's collector, reads /proc/self/stat, which qemu-user fakes
# (zero RSS, virtual size and CPU time).
QEMU_PURE="./internal/health ./internal/config ./internal/notify/... ./internal/render ./internal/observe
	./internal/probe/pps ./internal/probe/kernel ./internal/probe/deadline ./internal/server/...
	./internal/daemon ./internal/history"
QEMU_SKIP='^(TestStatusPageInChromium|TestChronyStatsMetrics|TestFullDisk|TestProcessCollectorMatchesClientGolang)$'
QEMU_PROBES="./internal/probe/chrony ./internal/probe/ntpd ./internal/probe/gpsd ./internal/probe/ntpclient"
QEMU_RUN='^('\
'TestQueryCapturedReplies|TestQueryFaults|FuzzDecodeReply|TestQueryUnresolvedReplies|TestUnresolvedNames|'\
'TestFaultyServers|TestCancelledContext|TestNoSocket|TestStaleSocket|'\
'TestParseVars|TestParseTimestamp|TestParseLeap|TestStates|FuzzParseVars|TestReplay.*|TestExplainSaysWhatToDo|'\
'TestFaults|TestMinimalExchange|'\
'TestDecodeCaptured|TestDecode|FuzzDecodeGPSD|TestFakeReplayPPS|TestCancelled|TestNothingListens|'\
'TestParseTarget|TestParseTargetDefaultPort|FuzzParseTarget|TestRefID|TestLog2|TestDefaultPort|TestObserve.*'\
')$'
# gotestsum itself stays native: only the go test it starts sees GOARCH.
gotestsum=$(go tool -n gotestsum)

# qemu LABEL EMULATOR VAR=VALUE...: both parts of one architecture's run.
qemu() {
	label=$1 emulator=$2
	shift 2
	env "$@" "$gotestsum" --format pkgname --hide-summary=skipped --jsonfile "$out/$label-pure.json" -- \
		-count=1 -timeout 10m -exec "$emulator" -skip "$QEMU_SKIP" $QEMU_PURE || status=1
	env "$@" "$gotestsum" --format pkgname --hide-summary=skipped --jsonfile "$out/$label-probes.json" -- \
		-count=1 -timeout 10m -exec "$emulator" -run "$QEMU_RUN" $QEMU_PROBES || status=1
	summary "$label" "$out/$label-pure.json" "$out/$label-probes.json"
	qemufiles="$qemufiles $out/$label-pure.json $out/$label-probes.json"
}
qemufiles=
if command -v qemu-aarch64-static >/dev/null && command -v qemu-arm-static >/dev/null; then
	qemu qemu-arm64 "qemu-aarch64-static -cpu cortex-a53" GOARCH=arm64
	qemu qemu-armv6 "qemu-arm-static -cpu arm1176" GOARCH=arm GOARM=6
elif [ -n "${CI:-}" ]; then
	echo "qemu-aarch64-static or qemu-arm-static missing: scripts/install-deps.sh installs qemu-user-static" >&2
	status=1
else
	echo "skipping the qemu runs: apt-get install -y qemu-user-static to run them" >&2
fi

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

"$out/testsummary" -counts-only -label total "$out/unit.json" "$out/race.json" $qemufiles $fuzzfiles || status=1
exit $status
