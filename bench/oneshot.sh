#!/usr/bin/env bash
# oneshot.sh: `ntphealth check` with a push, against a real chronyd, side by
# side with the floor of any one-shot that pushes (bench/floor: one HTTP GET
# and a line printed), and the ratios of their wall time, CPU time and peak
# RSS.
#
#   sudo bench/oneshot.sh                  # 30 rounds
#   RUNS=60 BASE=main~3 sudo bench/oneshot.sh
#
# Builds, with the release flags (CGO_ENABLED=0, -trimpath, -ldflags '-s
# -w'), the floor, bench/oneshot (the runner: it serves the push receiver and
# times the commands in turn, round after round) and ntphealth from this
# tree as the Makefile builds bin/ntphealth (with its LEAN_TAGS); with
# BASE=REV also ntphealth from that git revision (with its Makefile's
# LEAN_TAGS, if any), as a third command, so a before/after comparison runs
# in the same invocation. Each ntphealth runs twice a round: with an empty
# config (the defaults: "check") and with deploy/ntphealth.yaml, the file
# the .deb installs ("shipped": YAML to parse, every key set). Starts
# a private chronyd (lib.sh: "local stratum 2" and NSOURCES unanswered
# loopback servers, so check reads every source; never touches the clock)
# and prints the binaries' sizes, then the runner's table and ratios.
#
# Goal (issue 10.3): check at most 1.25x the floor's wall and CPU time,
# peak RSS at most 9 MiB, the binary no larger than before.
#
# Environment: RUNS (counted rounds, 30), WARMUP (3), BASE (a git revision).

. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v /usr/bin/time >/dev/null || { echo "GNU time not found: apt-get install time" >&2; exit 1; }

release_build() { # DIR OUT PKG [TAGS]
	(cd "$1" && CGO_ENABLED=0 go build -trimpath -tags "${4:-}" -ldflags '-s -w' -o "$2" "$3")
}
lean_tags() { sed -n 's/^LEAN_TAGS *:= *//p' "$1/Makefile"; }
echo "building ..." >&2
release_build "$root" "$WORK/floor" ./bench/floor
release_build "$root" "$WORK/oneshot" ./bench/oneshot
release_build "$root" "$WORK/ntphealth" ./cmd/ntphealth "$(lean_tags "$root")"
: >"$WORK/empty.yaml"
if [[ -n ${BASE:-} ]]; then
	mkdir "$WORK/base"
	git -C "$root" archive "$BASE" | tar -x -C "$WORK/base"
	release_build "$WORK/base" "$WORK/ntphealth-base" ./cmd/ntphealth "$(lean_tags "$WORK/base")"
fi

start_chronyd
# With no config file (the defaults), and with the one the .deb installs
# as /etc/ntphealth/ntphealth.yaml (every key, at its default).
cp "$root/deploy/ntphealth.yaml" "$WORK/shipped.yaml"
args() { echo "check --config $WORK/$1.yaml --chrony $CHRONY_ADDR --push-url @PUSH@"; }
cmds=("floor=$WORK/floor @PUSH@" "check=$WORK/ntphealth $(args empty)" "shipped=$WORK/ntphealth $(args shipped)")
[[ -n ${BASE:-} ]] && cmds+=("base=$WORK/ntphealth-base $(args empty)" "base-shipped=$WORK/ntphealth-base $(args shipped)")

echo "== chronyd $CHRONY_ADDR ($NSOURCES sources); go $(go env GOVERSION); $(nproc) CPUs"
printf 'binary size: floor %d, ntphealth %d' "$(stat -c %s "$WORK/floor")" "$(stat -c %s "$WORK/ntphealth")"
[[ -n ${BASE:-} ]] && printf ', ntphealth at %s (base) %d' "$BASE" "$(stat -c %s "$WORK/ntphealth-base")"
echo " bytes"
"$WORK/ntphealth" $(args shipped | sed 's/--push-url @PUSH@/--no-push/') --format nagios || true
"$WORK/oneshot" -n "$RUNS" -warmup "$WARMUP" "${cmds[@]}"
