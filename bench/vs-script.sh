#!/usr/bin/env bash
# vs-script.sh: time the seed shell script (../shared/seed/ntp-status.sh, the
# chronyc + awk + curl glue ntphealth replaces) against `ntphealth check` on
# the same private chronyd, and print what each one says about it.
#
#   bench/vs-script.sh [N]      N runs of each (default 50, or $RUNS)
#
# The chronyd is free-running: `local stratum 3` and no source at all
# (chrony.conf(5) "local"). The script calls that "OK: chrony synced"; ntphealth
# calls it CRITICAL, free-running. Both push to a local receiver that answers
# like Uptime Kuma ({"ok":true}). Everything is on loopback: chronyd's command
# port on 127.0.0.1 (no NTP port, `port 0`), the receiver on 127.0.0.1. The
# system clock is never touched (chronyd -x). Needs root (chronyd drops to
# _chrony), Debian's chrony and curl, and Go (or $NTPHEALTH, a built binary).
#
# Environment: RUNS (N), SHARED (the shared/ directory, default ../shared
# beside the repository), NTPHEALTH (a binary to use instead of building one).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-${RUNS:-50}}
shared=${SHARED:-$root/../shared}
seed=$shared/seed/ntp-status.sh
per_run_limit=20 # seconds any single command may take (timeout(1))

die() { echo "vs-script: $*" >&2; exit 1; }

[[ $runs =~ ^[1-9][0-9]*$ ]] || die "N must be a positive whole number, got '$runs'"
[[ -r $seed ]] || die "the seed script is not at $seed: put a copy of shared/ beside the repository (../shared) or set SHARED=/path/to/shared"
[[ $(id -u) -eq 0 ]] || die "run as root: chronyd starts as root and drops to _chrony (chronyd(8) -u)"
chronyd=$(command -v chronyd || echo /usr/sbin/chronyd)
chronyc=$(command -v chronyc || echo /usr/bin/chronyc)
for bin in "$chronyd" "$chronyc"; do
	[[ -x $bin ]] || die "$bin not found: apt-get install -y chrony"
done
id _chrony >/dev/null 2>&1 || die "user _chrony missing: apt-get install -y chrony"
for tool in curl timeout awk; do
	command -v "$tool" >/dev/null || die "$tool not found: apt-get install -y $tool (the seed script needs it)"
done
command -v go >/dev/null || [[ -n ${NTPHEALTH:-} ]] || die "go not found: install Go or set NTPHEALTH to a built ntphealth binary"

tmp=$(mktemp -d /tmp/vs-script.XXXXXX)
chronyd_pid=
receiver_pid=
# stop pid: SIGTERM, then wait for it (its exit status is of no interest).
stop() {
	if [[ -n $1 ]]; then
		kill "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
	fi
}
cleanup() {
	stop "$chronyd_pid"
	stop "$receiver_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- ntphealth ---------------------------------------------------------------
if [[ -n ${NTPHEALTH:-} ]]; then
	ntphealth=$NTPHEALTH
else
	echo "building ntphealth ..." >&2
	# As the Makefile builds the installed command: its lean build (LEAN_TAGS).
	(cd "$root" && CGO_ENABLED=0 go build -trimpath -tags "$(sed -n 's/^LEAN_TAGS *:= *//p' Makefile)" -o "$tmp/ntphealth" ./cmd/ntphealth)
	ntphealth=$tmp/ntphealth
fi
: >"$tmp/empty.yaml" # all defaults; never /etc/ntphealth/ntphealth.yaml

# --- push receiver: answers {"ok":true} like Kuma's push API, logs each request
mkdir "$tmp/receiver"
cat >"$tmp/receiver/main.go" <<'EOF'
// A push receiver on loopback that answers like Uptime Kuma's push API and
// appends each request's path and query to a log. It writes its address to
// the file named by its first argument and logs to the second.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "receiver:", err)
		os.Exit(1)
	}
	log, err := os.OpenFile(os.Args[2], os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "receiver:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fmt.Fprintln(log, r.URL.RequestURI())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	})}
	if err := os.WriteFile(os.Args[1], []byte(ln.Addr().String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "receiver:", err)
		os.Exit(1)
	}
	srv.Serve(ln)
}
EOF
if [[ -n ${NTPHEALTH:-} ]] && ! command -v go >/dev/null; then
	die "the push receiver is a small Go program: install Go"
fi
(cd "$tmp/receiver" && CGO_ENABLED=0 GO111MODULE=on GOFLAGS= go build -o "$tmp/receiver-bin" main.go)
"$tmp/receiver-bin" "$tmp/receiver.addr" "$tmp/pushes.log" &
receiver_pid=$!
for _ in $(seq 100); do [[ -s $tmp/receiver.addr ]] && break; sleep 0.05; done
[[ -s $tmp/receiver.addr ]] || die "the push receiver did not start"
receiver=http://$(cat "$tmp/receiver.addr")

# --- private chronyd: free-running, local stratum 3, no source --------------
# The command socket's directory must belong to _chrony and not be open to
# others, or chronyd disables the socket (shared/notes/chrony-test-rig.md).
chmod 0711 "$tmp"
mkdir -m 0770 "$tmp/run"
chown _chrony:_chrony "$tmp/run"
start_chronyd() {
	local port=$1
	cat >"$tmp/chrony.conf" <<EOF
pidfile $tmp/run/chronyd.pid
bindcmdaddress $tmp/run/chronyd.sock
bindcmdaddress 127.0.0.1
cmdport $port
port 0
local stratum 3
EOF
	rm -f "$tmp/run/chronyd.sock"
	"$chronyd" -x -d -u _chrony -f "$tmp/chrony.conf" >"$tmp/chronyd.log" 2>&1 &
	chronyd_pid=$!
}
tracking() { timeout 3 "$chronyc" -h 127.0.0.1 -p "$cmdport" -n tracking 2>/dev/null; }
started=
for _ in 1 2 3 4 5; do
	# Below Linux's ephemeral range (ip_local_port_range), like internal/chronytest.
	cmdport=$((20000 + RANDOM % 12000))
	start_chronyd "$cmdport"
	for _ in $(seq 100); do
		kill -0 "$chronyd_pid" 2>/dev/null || break
		if tracking | grep -q '^Reference ID *: 7F7F0101'; then started=1; break; fi
		sleep 0.1
	done
	[[ -n $started ]] && break
	if grep -q "Could not open command socket" "$tmp/chronyd.log"; then
		stop "$chronyd_pid"
		chronyd_pid=
		continue # port taken: try another
	fi
	break
done
[[ -n $started ]] || die "chronyd did not reach free-running (refid 7F7F0101) within 10 s; its log:
$(tail -20 "$tmp/chronyd.log")"

# --- the seed script, with stand-ins on PATH ----------------------------------
mkdir "$tmp/bin"
cat >"$tmp/bin/systemctl" <<'EOF'
#!/bin/sh
# systemctl stand-in: chrony is active; nothing else is known.
case "$*" in
"is-active --quiet chrony"*) exit 0 ;;
*) exit 3 ;;
esac
EOF
cat >"$tmp/bin/chronyc" <<EOF
#!/bin/sh
# chronyc stand-in: the real chronyc, pointed at the private chronyd.
exec $chronyc -h 127.0.0.1 -p $cmdport "\$@"
EOF
chmod +x "$tmp/bin/systemctl" "$tmp/bin/chronyc"
sed "s|^PUSH_URL=.*|PUSH_URL=\"$receiver/api/push/script\"|" "$seed" >"$tmp/ntp-status.sh"
chmod +x "$tmp/ntp-status.sh"
grep -q "^PUSH_URL=\"$receiver/" "$tmp/ntp-status.sh" || die "could not rewrite PUSH_URL in the copy of $seed"

script_cmd=(env "PATH=$tmp/bin:$PATH" timeout "$per_run_limit" "$tmp/ntp-status.sh")
ntph_cmd=(timeout "$per_run_limit" "$ntphealth" check --format nagios --config "$tmp/empty.yaml"
	--chrony "127.0.0.1:$cmdport" --push-url "$receiver/api/push/ntphealth")

# --- verdicts -----------------------------------------------------------------
verdict() { # name cmd...: runs once, prints its output, exit code and push
	local name=$1 out code
	shift
	code=0
	out=$("$@" 2>&1) || code=$?
	printf '%-10s exit %d: %s\n' "$name" "$code" "$out"
	printf '%-10s pushed:  %s\n' "" "$(grep "/api/push/$name?" "$tmp/pushes.log" | tail -1)"
}
echo "chronyd: local stratum 3, no source (free-running), command port 127.0.0.1:$cmdport"
verdict script "${script_cmd[@]}"
verdict ntphealth "${ntph_cmd[@]}"
echo

# --- timing -------------------------------------------------------------------
# time_runs file cmd...: N wall times in ns, one a line (date +%s%N around each).
time_runs() {
	local file=$1 t0 t1
	shift
	: >"$file"
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s%N)
		echo $((t1 - t0)) >>"$file"
	done
}
# stats file: "median p90" in ms (nearest rank).
stats() {
	sort -n "$1" | awk '{v[NR]=$1} END {
		m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
		r = int(0.9 * NR + 0.999999); if (r < 1) r = 1
		printf "%.2f %.2f\n", m / 1e6, v[r] / 1e6 }'
}
echo "timing $runs runs of each ..." >&2
time_runs "$tmp/script.ns" "${script_cmd[@]}"
time_runs "$tmp/ntphealth.ns" "${ntph_cmd[@]}"
read -r s_med s_p90 < <(stats "$tmp/script.ns")
read -r n_med n_p90 < <(stats "$tmp/ntphealth.ns")
printf '%-10s %10s %10s   (wall time per run, %d runs, push included)\n' "" "median ms" "p90 ms" "$runs"
printf '%-10s %10s %10s\n' script "$s_med" "$s_p90" ntphealth "$n_med" "$n_p90"
awk -v s="$s_med" -v n="$n_med" 'BEGIN { printf "ratio script/ntphealth (median): %.1fx\n", s / n }'
