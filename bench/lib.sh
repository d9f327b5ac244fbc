# Shared by the bench scripts: build ntphealth, start a private chronyd.
# Source it from a script run as root (chronyd starts as root and drops to
# _chrony); everything lives under $WORK and is removed by bench_cleanup.
#
# The chronyd is private and never touches the clock (chronyd -x, see
# /work/shared/notes/chrony-test-rig.md): its own command socket and UDP
# command port on 127.0.0.1, "local stratum 2" so it has a verdict to give,
# and NSOURCES servers on loopback ports where nothing answers, so each
# check also asks for per-source data as on a real server.

set -euo pipefail

NSOURCES=${NSOURCES:-4}
WORK=$(mktemp -d /tmp/ntphealth-bench.XXXXXX)
BENCH_PIDS=()

bench_cleanup() {
	local pid
	for pid in "${BENCH_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${BENCH_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap bench_cleanup EXIT

# build_daemon SRC OUT [TAGS] builds the daemon of the tree SRC into OUT
# as its Makefile builds ntphealthd (static, trimmed paths, stripped, its
# DAEMON_TAGS), with TAGS (comma-separated) added.
build_daemon() {
	local tags
	tags=$(sed -n 's/^DAEMON_TAGS *:= *//p' "$1/Makefile")
	(cd "$1" && CGO_ENABLED=0 go build -trimpath -tags "$tags${3:+,$3}" -ldflags '-s -w' -o "$2" ./cmd/ntphealth)
}

# build_ntphealth builds this tree's daemon into $WORK/ntphealth.
build_ntphealth() {
	build_daemon "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" "$WORK/ntphealth"
	: >"$WORK/empty.yaml"
}

# random_port prints a port in 20000-32000 (below the ephemeral range).
random_port() { echo $((20000 + RANDOM % 12000)); }

# start_chronyd starts the private chronyd and sets CHRONY_ADDR and
# CHRONY_SOCK; it waits until chronyd answers on its command port.
start_chronyd() {
	command -v chronyd >/dev/null || { echo "chronyd not found: apt-get install chrony" >&2; exit 1; }
	local dir=$WORK/chrony port i
	mkdir -p "$dir/run"
	chmod 711 "$WORK" "$dir"
	chown _chrony:_chrony "$dir/run"
	chmod 770 "$dir/run"
	port=$(random_port)
	{
		echo "pidfile $dir/run/chronyd.pid"
		echo "logdir $dir"
		echo "bindcmdaddress $dir/run/chronyd.sock"
		echo "bindcmdaddress 127.0.0.1"
		echo "cmdport $port"
		echo "port 0"
		echo "local stratum 2"
		for ((i = 1; i <= NSOURCES; i++)); do
			echo "server 127.0.0.$((i + 1)) port $(random_port) iburst"
		done
	} >"$dir/chrony.conf"
	chronyd -x -d -u _chrony -f "$dir/chrony.conf" >"$dir/chronyd.log" 2>&1 &
	BENCH_PIDS+=($!)
	CHRONY_ADDR=127.0.0.1:$port
	CHRONY_SOCK=$dir/run/chronyd.sock
	for ((i = 0; i < 100; i++)); do
		if chronyc -h 127.0.0.1 -p "$port" tracking >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	echo "chronyd did not answer on $CHRONY_ADDR; its log:" >&2
	cat "$dir/chronyd.log" >&2
	exit 1
}

# start_daemon LOGNAME ARGS... starts "ntphealth run ARGS..." in the
# background and sets DAEMON_PID.
start_daemon() {
	local log=$WORK/$1.log
	shift
	"$WORK/ntphealth" run --config "$WORK/empty.yaml" --log-format json "$@" >"$log" 2>&1 &
	DAEMON_PID=$!
	BENCH_PIDS+=("$DAEMON_PID")
}

# cpu_ns PID prints the CPU time of all threads of PID in nanoseconds: the sum
# of the first field of /proc/PID/task/*/schedstat (the kernel's
# sched-stats.rst), exact where utime+stime in /proc/PID/stat count whole
# clock ticks (10 ms). A Go program keeps its threads, so none is lost.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }

# rss_kib PID prints VmRSS of PID in KiB (proc(5), status).
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# stop_daemon PID sends SIGTERM and waits for the exit.
stop_daemon() {
	kill -TERM "$1"
	wait "$1" || { echo "ntphealth run (pid $1) exited with $?" >&2; return 1; }
}

# cpu_ticks_ns PID prints utime+stime of PID (proc(5), stat fields 14 and
# 15) in nanoseconds: clock-tick resolution, a cross-check for cpu_ns.
cpu_ticks_ns() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat"; }

# keep_largest_rss NAME PID records in rssmax[NAME] the largest VmRSS of
# PID seen so far, and in anon[NAME] and file[NAME] its RssAnon and RssFile
# at that moment (KiB, proc(5)); the caller declares the three arrays.
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
keep_largest_rss() {
	local r
	r=$(status_kib "$2" VmRSS)
	if ((r > ${rssmax[$1]:-0})); then
		rssmax[$1]=$r
		anon[$1]=$(status_kib "$2" RssAnon)
		file[$1]=$(status_kib "$2" RssFile)
	fi
}
