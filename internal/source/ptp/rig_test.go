package ptp

// The test rig: real ptp4l instances (Debian's linuxptp 3.1.1) in network
// namespaces of their own, joined by a veth pair, with software
// timestamping (-S: a veth has no PHC). ptp4l disciplines CLOCK_REALTIME,
// which every namespace shares, so each instance runs
//   - with testdata/noclockwrite.c preloaded (clock writes become reads),
//   - without CAP_SYS_TIME (setpriv), so a write that slips past fails,
// and every rig reads adjtimex(2) before and after and fails loudly if
// the machine's clock state changed.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ntphealth/ntphealth/internal/syncbuf"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// rigTools are the programs the rig runs.
type rigTools struct {
	ptp4l, ip, setpriv, shim string
}

// needRig returns the rig's programs, with the clock-write shim built, or
// ends the test (testenv's rule: a failure under CI, a skip elsewhere).
// It also arms the clock guard.
func needRig(t *testing.T) rigTools {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "the ptp4l rig needs root (network namespaces, veth): run the tests as root")
	}
	tools := rigTools{
		ptp4l:   testenv.Tool(t, "linuxptp", "ptp4l"),
		ip:      testenv.Tool(t, "iproute2", "ip"),
		setpriv: testenv.Tool(t, "util-linux", "setpriv"),
	}
	gcc := testenv.Tool(t, "gcc", "gcc")
	guardClock(t)
	tools.shim = filepath.Join(t.TempDir(), "noclockwrite.so")
	out, err := exec.Command(gcc, "-shared", "-fPIC", "-Wall", "-o", tools.shim, "testdata/noclockwrite.c", "-ldl").CombinedOutput()
	if err != nil {
		t.Fatalf("build the clock-write shim: %v\n%s", err, out)
	}
	return tools
}

// clockState is what adjtimex(2) says of the machine's clock.
type clockState struct {
	freq     int64 // ppm << 16
	status   int32 // STA_* bits
	maxerror int64 // µs
	at       time.Time
}

func readClock(t *testing.T) clockState {
	t.Helper()
	var tx unix.Timex // modes 0: read only
	if _, err := unix.Adjtimex(&tx); err != nil {
		t.Fatalf("adjtimex: %v", err)
	}
	// timex's longs are int32 on 32-bit ARM, int64 on amd64 and arm64.
	return clockState{freq: int64(tx.Freq), status: tx.Status, maxerror: int64(tx.Maxerror), at: time.Now()}
}

// guardClock reads the machine's clock state now and, after every other
// cleanup of the test (the ptp4l instances are stopped by then), again:
// frequency and status must be the same, and maxerror may only have grown
// as the kernel grows it (MAXFREQ, 500 µs per second, up to 16 s:
// kernel/time/ntp.c second_overflow); a write would have reset it.
func guardClock(t *testing.T) {
	t.Helper()
	before := readClock(t)
	t.Cleanup(func() {
		after := readClock(t)
		grown := after.maxerror - before.maxerror
		allowed := int64(500*after.at.Sub(before.at).Seconds()) + 1000
		if after.freq != before.freq || after.status != before.status || grown < 0 || grown > allowed {
			t.Errorf("THE MACHINE'S CLOCK STATE CHANGED during this ptp4l rig: freq %d -> %d, status %#x -> %#x, maxerror %d -> %d µs (grown %d, the kernel allows %d): a ptp4l wrote CLOCK_REALTIME; check the noclockwrite shim and setpriv, and reset the clock state (e.g. restart chronyd)",
				before.freq, after.freq, before.status, after.status, before.maxerror, after.maxerror, grown, allowed)
		}
	})
}

// nsSeq makes namespace names distinct within the process.
var nsSeq atomic.Uint64

// newNetns creates a network namespace with lo up and deletes it when the
// test ends.
func newNetns(t *testing.T, tools rigTools) string {
	t.Helper()
	name := fmt.Sprintf("ntphealth-ptp-%d-%d", os.Getpid(), nsSeq.Add(1))
	run(t, tools.ip, "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command(tools.ip, "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v %s", name, err, out)
		}
	})
	run(t, tools.ip, "-n", name, "link", "set", "lo", "up")
	return name
}

// Addresses of the veth pair (a /30 of our own, private to the namespaces).
const (
	gmAddr    = "10.213.0.1/30"
	slaveAddr = "10.213.0.2/30"
)

// newLink creates two namespaces joined by a veth pair, veth0 in the first
// (the grandmaster's) and veth1 in the second, both up with addresses.
func newLink(t *testing.T, tools rigTools) (gm, slave string) {
	t.Helper()
	gm, slave = newNetns(t, tools), newNetns(t, tools)
	run(t, tools.ip, "-n", gm, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", slave)
	run(t, tools.ip, "-n", gm, "addr", "add", gmAddr, "dev", "veth0")
	run(t, tools.ip, "-n", slave, "addr", "add", slaveAddr, "dev", "veth1")
	run(t, tools.ip, "-n", gm, "link", "set", "veth0", "up")
	run(t, tools.ip, "-n", slave, "link", "set", "veth1", "up")
	return gm, slave
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// fastConfig is the rig's [global] section: intervals that reach SLAVE in
// about a second instead of 20 (measured; see the rig notes): 16 Sync and
// 8 Announce a second, the master given up after 2 Announce intervals,
// and a stiffer PI servo (linuxptp's software-timestamping defaults are
// kp 0.1, ki 0.001).
var fastConfig = []string{
	"logSyncInterval -4",
	"logAnnounceInterval -3",
	"announceReceiptTimeout 2",
	"pi_proportional_const 0.7",
	"pi_integral_const 0.3",
}

// rigAnnounceTimeout is announceReceiptTimeout × 2^logAnnounceInterval of
// fastConfig; linuxptp adds up to one more interval at random (port.c
// port_set_announce_tmo, announce_span).
const rigAnnounceTimeout = 2 * time.Second / 8

// instance is one running ptp4l.
type instance struct {
	t      *testing.T
	domain uint8
	cmd    *exec.Cmd
	socket string
	log    *syncbuf.Buffer
	done   chan struct{}
}

// sockDir returns a short directory for sockets (a unix socket path has
// at most 107 bytes; t.TempDir's can be longer).
func sockDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ptp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// startPTP4L runs ptp4l in namespace ns on iface with fastConfig plus
// extra config lines, its uds_address in a directory of its own, and
// waits until it answers management messages. Cleanup stops it.
func startPTP4L(t *testing.T, tools rigTools, ns, iface, name string, extra ...string) *instance {
	t.Helper()
	dir := sockDir(t)
	socket := filepath.Join(dir, name)
	conf := filepath.Join(dir, name+".cfg")
	lines := append([]string{"[global]", "uds_address " + socket}, fastConfig...)
	lines = append(lines, extra...)
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// ip netns exec execs setpriv, which execs ptp4l: one process.
	cmd := exec.Command(tools.ip, "netns", "exec", ns,
		tools.setpriv, "--bounding-set=-sys_time", "--inh-caps=-sys_time", "--",
		tools.ptp4l, "-f", conf, "-i", iface, "-S", "-4", "-m", "-q")
	cmd.Env = append(os.Environ(), "LD_PRELOAD="+tools.shim)
	in := &instance{t: t, cmd: cmd, socket: socket, log: &syncbuf.Buffer{}, done: make(chan struct{})}
	for _, l := range extra {
		// ptp4l answers management messages of its own domain only.
		if d, ok := strings.CutPrefix(l, "domainNumber "); ok {
			n, err := strconv.ParseUint(d, 10, 8)
			if err != nil {
				t.Fatalf("config line %q: %v", l, err)
			}
			in.domain = uint8(n)
		}
	}
	cmd.Stdout, cmd.Stderr = in.log, in.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ptp4l: %v", err)
	}
	go func() { cmd.Wait(); close(in.done) }()
	t.Cleanup(in.cleanup)
	if err := in.waitAnswering(10 * time.Second); err != nil {
		t.Fatalf("ptp4l %s did not answer on %s: %v\nptp4l log:\n%s", name, socket, err, in.log)
	}
	return in
}

// waitAnswering queries the socket until ptp4l answers.
func (in *instance) waitAnswering(limit time.Duration) error {
	end := time.Now().Add(limit)
	var last error
	for time.Now().Before(end) {
		select {
		case <-in.done:
			return fmt.Errorf("ptp4l exited: %v", in.cmd.ProcessState)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, last = query(ctx, in.socket, in.domain)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return last
}

// stop ends ptp4l with SIGTERM (it removes its socket) and waits for it.
func (in *instance) stop() { in.signal(syscall.SIGTERM) }

// kill ends ptp4l with SIGKILL (its socket stays, stale) and waits.
func (in *instance) kill() { in.signal(syscall.SIGKILL) }

func (in *instance) signal(sig syscall.Signal) {
	select {
	case <-in.done:
		return
	default:
	}
	in.cmd.Process.Signal(sig)
	select {
	case <-in.done:
	case <-time.After(5 * time.Second):
		in.cmd.Process.Kill()
		<-in.done
	}
}

func (in *instance) cleanup() {
	in.stop()
	// Belt and braces: with the shim loaded, ptp4l's clock writes succeed
	// as reads, so EPERM in its log means the shim was not in effect and
	// only the missing CAP_SYS_TIME kept the clock.
	if strings.Contains(in.log.String(), "Operation not permitted") {
		in.t.Errorf("ptp4l at %s logged EPERM: the noclockwrite shim was not loaded", in.socket)
	}
	if in.t.Failed() {
		in.t.Logf("ptp4l %s log:\n%s", in.socket, in.log)
	}
}

// probeFor returns a probe of inst with test limits fit for software
// timestamping on a veth of this shared machine (measured: |offset|
// median ~0.6 µs, p99 ~28 µs, max ~62 µs; path delay ~2.5 µs).
func probeFor(socket, role string) *Probe {
	return &Probe{Socket: socket, Timeout: time.Second, Limits: Limits{
		Role:          role,
		OffsetWarn:    200e-6,
		OffsetCrit:    1e-3,
		PathDelayJump: 100e-6,
	}}
}
