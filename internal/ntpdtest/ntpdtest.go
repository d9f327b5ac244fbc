// Package ntpdtest starts a real ntpd (Debian's ntpsec, unpacked privately
// by scripts/fetch-ntpsec.sh) for tests, in network and IPC namespaces of its
// own, without CAP_SYS_TIME, with a SHM reference clock the test feeds.
//
// Why each piece (measured on Debian 12 with ntpsec 1.2.2):
//   - ntpd always binds UDP 123, on the wildcard address too: a private
//     network namespace keeps that port private and lets tests run at once.
//   - The SHM refclock is SysV shared memory, so it lives in the IPC
//     namespace: a private one keeps gpsd or another ntpd from feeding it.
//   - `disable kernel` does not stop ntpd calling ntp_adjtime(2) at start-up;
//     without CAP_SYS_TIME the kernel refuses (EPERM) and ntpd carries on.
//
// It needs root (to create namespaces), ip(8) and setpriv(1).
package ntpdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ntphealth/ntphealth/internal/syncbuf"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// EnvDir names the folder ntpsec was unpacked into (dpkg-deb -x).
const EnvDir = "NTPHEALTH_NTPSEC_DIR"

// DefaultDir is where scripts/fetch-ntpsec.sh unpacks ntpsec by default.
const DefaultDir = "/var/cache/ntphealth-test/ntpsec"

// Address is where ntpd answers inside its namespace.
const Address = "127.0.0.1:123"

// Binary returns the path of the unpacked ntpd. Without it the test is
// skipped, or fails when the environment variable CI is set.
func Binary(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvDir)
	if dir == "" {
		dir = DefaultDir
	}
	bin := filepath.Join(dir, "usr", "sbin", "ntpd")
	var missing []string
	if _, err := os.Stat(bin); err != nil {
		missing = append(missing, fmt.Sprintf("ntpd (Debian package ntpsec) not found at %s: run scripts/fetch-ntpsec.sh (apt-get download ntpsec && dpkg-deb -x; never apt-get install ntpsec, it removes chrony) or set %s", bin, EnvDir))
	}
	for _, tool := range []string{"ip", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, fmt.Sprintf("%s not found (Debian packages iproute2, util-linux)", tool))
		}
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "the ntpd rig needs root to create network and IPC namespaces")
	}
	if len(missing) > 0 {
		testenv.Missing(t, strings.Join(missing, "; "))
	}
	return bin
}

// Config is what the test ntpd is given besides its fixed settings.
type Config struct {
	// SHM configures `refclock shm unit 0 refid GPS`, polled every 2 s.
	SHM bool
	// Local configures the local clock driver at stratum 10: free-running.
	Local bool
}

// conf renders ntp.conf. `restrict 127.0.0.1` is needed: ntpsec 1.2.2
// without it does not answer mode 6 queries from loopback (measured).
// `tos minsane 1` lets one source synchronise (the default 3 would not),
// `tos orphanwait 0` lets the local driver be used at once (default 300 s).
func (c Config) conf() string {
	var b strings.Builder
	b.WriteString("# written by internal/ntpdtest\n")
	b.WriteString("disable kernel\n")
	b.WriteString("tos minsane 1\n")
	b.WriteString("tos orphanwait 0\n")
	b.WriteString("restrict default\n")
	b.WriteString("restrict 127.0.0.1\n")
	b.WriteString("restrict ::1\n")
	if c.SHM {
		b.WriteString("refclock shm unit 0 refid GPS minpoll 1 maxpoll 1\n")
	}
	if c.Local {
		b.WriteString("refclock local stratum 10\n")
	}
	return b.String()
}

// Daemon is one running ntpd and its namespaces.
type Daemon struct {
	t     testing.TB
	cmd   *exec.Cmd
	netns *os.File
	ipcns *os.File
	log   *syncbuf.Buffer
	done  chan struct{}

	mu  sync.Mutex
	shm []byte
}

// Start runs ntpd with cfg in fresh network and IPC namespaces and waits
// until it answers mode 6. Cleanup stops it and releases the namespaces.
func Start(t testing.TB, cfg Config) *Daemon {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "ntp.conf")
	if err := os.WriteFile(conf, []byte(cfg.conf()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `ip link set lo up && exec setpriv --bounding-set=-sys_time --inh-caps=-sys_time -- "$0" -n -c "$1"`
	cmd := exec.Command("sh", "-c", script, bin, conf)
	d := &Daemon{t: t, cmd: cmd, log: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = d.log, d.log
	// No Pdeathsig: it fires when the forking OS thread exits, and
	// InNetns discards threads, which would kill ntpd mid-test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNET | unix.CLONE_NEWIPC}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ntpd: %v", err)
	}
	go func() { cmd.Wait(); close(d.done) }()
	t.Cleanup(d.cleanup)
	// The namespaces exist from clone(2) on; holding them open keeps them
	// alive after ntpd exits, so a test can probe a namespace where
	// nothing listens.
	var err error
	if d.netns, err = os.Open(fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)); err != nil {
		t.Fatalf("open ntpd's network namespace: %v", err)
	}
	if d.ipcns, err = os.Open(fmt.Sprintf("/proc/%d/ns/ipc", cmd.Process.Pid)); err != nil {
		t.Fatalf("open ntpd's IPC namespace: %v", err)
	}
	if err := d.waitAnswering(10 * time.Second); err != nil {
		t.Fatalf("ntpd did not come up: %v\nntpd log:\n%s", err, d.log)
	}
	return d
}

// waitAnswering sends mode 6 read-status requests until one is answered.
func (d *Daemon) waitAnswering(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-d.done:
			return errors.New("ntpd exited")
		default:
		}
		d.InNetns(func() { last = readStatus(200 * time.Millisecond) })
		if last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return last
}

// readStatus sends one mode 6 read-status request (RFC 1305 appendix B)
// and waits for any reply.
func readStatus(timeout time.Duration) error {
	c, err := net.DialTimeout("udp", Address, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte{2<<3 | 6, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		return err
	}
	_, err = c.Read(make([]byte, 512))
	return err
}

// InNetns runs fn on an OS thread that has joined ntpd's network
// namespace: sockets fn creates stay in that namespace for their life.
// The thread is discarded afterwards, so no other goroutine runs there.
func (d *Daemon) InNetns(fn func()) {
	d.inNamespace(d.netns, unix.CLONE_NEWNET, fn)
}

func (d *Daemon) inNamespace(ns *os.File, kind int, fn func()) {
	errc := make(chan error, 1)
	go func() {
		// No UnlockOSThread: the runtime ends a locked thread when its
		// goroutine returns, so the changed namespace dies with it.
		runtime.LockOSThread()
		if err := unix.Setns(int(ns.Fd()), kind); err != nil {
			errc <- fmt.Errorf("setns: %w", err)
			return
		}
		fn()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		d.t.Fatalf("enter ntpd's namespace: %v", err)
	}
}

// Stop ends ntpd and waits for it; its namespaces stay until Cleanup.
func (d *Daemon) Stop() {
	if d.cmd.Process != nil {
		d.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// Log returns what ntpd has written so far.
func (d *Daemon) Log() string { return d.log.String() }

func (d *Daemon) cleanup() {
	d.Stop()
	d.mu.Lock()
	if d.shm != nil {
		unix.SysvShmDetach(d.shm)
		d.shm = nil
	}
	d.mu.Unlock()
	if d.netns != nil {
		d.netns.Close()
	}
	if d.ipcns != nil {
		d.ipcns.Close()
	}
	if d.t.Failed() {
		d.t.Logf("ntpd log:\n%s", d.log)
	}
}

// Feeder writes samples into the SHM segment until its context ends.
type Feeder struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Stop ends the feeder and waits for it.
func (f *Feeder) Stop() { f.cancel(); <-f.done }
