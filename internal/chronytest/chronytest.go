// Package chronytest starts private chronyd instances for tests: each with its
// own config, command sockets (UDP on loopback and a unix socket) and, when
// asked, refclocks fed by the test and a second chronyd as a network
// fallback. chronyd runs with -x, so the system clock is never touched
// (chronyd(8)).
//
// It is a normal package, not a _test one, so any package's tests can use it.
// The facts it relies on are measured in shared/notes/chrony-test-rig.md.
package chronytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/probe/chrony"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// Options says what the rig configures. The zero value is a chronyd with no
// sources at all.
type Options struct {
	// Refclocks configures two SOCK refclocks fed by the rig once a second:
	// GPS (delay 0.2 s) and PPS locked to it (chrony.conf(5) "refclock SOCK",
	// "lock"), both with filter 1 so each poll yields a sample.
	Refclocks bool
	// Poll is the refclocks' polling interval as a power of two, seconds
	// (chrony.conf(5) refclock "poll"); 0 means 1 s.
	Poll int
	// RefclockOffset is the refclocks' "offset" option: a constant chronyd
	// adds to every sample, as for a receiver's known delay.
	RefclockOffset time.Duration
	// Offset is what the feeder reports at start: true time minus system
	// time (positive: the system clock is slow). See Chronyd.SetOffset.
	Offset time.Duration
	// NoFeed leaves the feeder stopped at start (the refclocks stay
	// unreachable until StartFeed).
	NoFeed bool
	// Fallback starts a second chronyd serving "local stratum 2" on another
	// loopback port and adds it as a server polled every second.
	Fallback bool
	// LocalStratum, when above 0, adds "local stratum N": chronyd serves its
	// own clock when nothing else is selectable.
	LocalStratum int
	// UnreachableServer adds a server on a loopback port where nothing
	// answers: a configured network source that is never reached.
	UnreachableServer bool
	// Serve makes chronyd serve NTP on a free loopback port (NTPAddr); the
	// rig uses it for the fallback.
	Serve bool
	// Extra lines are appended to chrony.conf as they are.
	Extra []string
}

// Chronyd is one running private chronyd.
type Chronyd struct {
	t    testing.TB
	opts Options
	bin  string

	dir      string // base directory: config, log, refclock sockets
	sockDir  string // owned by _chrony, mode 0770: command socket, pidfile
	conf     string
	logPath  string
	cmdPort  int
	ntpPort  int // 0 unless Serve
	deadPort int // 0 unless UnreachableServer
	fallback *Chronyd
	feed     *feeder

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the running chronyd has exited
}

// startAttempts is how often Start picks new ports when chronyd could not
// bind the ones it was given (another test took them in between).
const startAttempts = 5

// readyTimeout bounds how long chronyd may take to answer its first command.
const readyTimeout = 15 * time.Second

// Start writes a private config and runs `chronyd -x -d -u _chrony -f CONF`,
// waits until its command sockets answer and kills it when the test ends.
// Without chronyd it skips the test, or fails it when the environment
// variable CI is set.
func Start(t testing.TB, opts Options) *Chronyd {
	t.Helper()
	bin := chronydPath(t)
	c := &Chronyd{t: t, opts: opts, bin: bin}
	if opts.Fallback {
		c.fallback = Start(t, Options{LocalStratum: 2, Serve: true})
	}
	c.makeDirs()
	t.Cleanup(c.cleanup)
	if opts.Refclocks {
		c.feed = newFeeder(c.refclockPaths(), opts.Offset)
		if !opts.NoFeed {
			c.feed.start()
		}
	}
	var lastErr error
	for range startAttempts {
		if err := c.pickPorts(); err != nil {
			t.Fatalf("chronytest: %v", err)
		}
		c.writeConfig()
		err := c.launch()
		if err == nil {
			return c
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatalf("chronytest: %v\nchronyd log:\n%s", lastErr, c.Log())
	return nil
}

// chronydPath finds chronyd: $CHRONYD, else PATH, else /usr/sbin/chronyd.
func chronydPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHRONYD"); p != "" {
		return p
	}
	return testenv.Tool(t, "chrony", "chronyd")
}

// makeDirs creates the instance's directories. They are not t.TempDir():
// its paths carry the test name and can exceed the 108 bytes of a unix
// socket path (unix(7)), and chronyd, once it is _chrony, must be able to
// reach its socket directory.
func (c *Chronyd) makeDirs() {
	if os.Geteuid() != 0 {
		testenv.Missing(c.t, "chronytest: chronyd must start as root (it drops to _chrony); run the tests as root")
	}
	dir, err := os.MkdirTemp("/tmp", "chronytest")
	if err != nil {
		c.t.Fatalf("chronytest: %v", err)
	}
	c.dir = dir
	c.sockDir = filepath.Join(dir, "run")
	c.conf = filepath.Join(dir, "chrony.conf")
	c.logPath = filepath.Join(dir, "chronyd.log")
	// chronyd refuses a command socket whose directory others can reach
	// (it logs "Disabled command socket"); _chrony must own it.
	if err := os.Chmod(dir, 0o711); err != nil {
		c.t.Fatalf("chronytest: %v", err)
	}
	if err := os.Mkdir(c.sockDir, 0o770); err != nil {
		c.t.Fatalf("chronytest: %v", err)
	}
	uid, gid, err := chronyUser()
	if err != nil {
		c.t.Fatalf("chronytest: %v (is the chrony package installed? apt-get install chrony)", err)
	}
	if err := os.Chmod(c.sockDir, 0o770); err != nil { // past the umask
		c.t.Fatalf("chronytest: %v", err)
	}
	if err := os.Chown(c.sockDir, uid, gid); err != nil {
		c.t.Fatalf("chronytest: %v", err)
	}
}

func (c *Chronyd) socketPath() string { return filepath.Join(c.sockDir, "chronyd.sock") }

func (c *Chronyd) refclockPaths() refclockPaths {
	return refclockPaths{GPS: filepath.Join(c.dir, "gps.sock"), PPS: filepath.Join(c.dir, "pps.sock")}
}

// UDPAddr is chronyd's UDP command address, 127.0.0.1:cmdport.
func (c *Chronyd) UDPAddr() string { return fmt.Sprintf("127.0.0.1:%d", c.cmdPort) }

// UnixAddr is chronyd's command socket as the probe takes it: unix:///path.
func (c *Chronyd) UnixAddr() string { return "unix://" + c.socketPath() }

// NTPAddr is where chronyd serves NTP (Options.Serve); empty otherwise.
func (c *Chronyd) NTPAddr() string {
	if c.ntpPort == 0 {
		return ""
	}
	return fmt.Sprintf("127.0.0.1:%d", c.ntpPort)
}

// Fallback is the chronyd serving as network fallback (Options.Fallback), or nil.
func (c *Chronyd) Fallback() *Chronyd { return c.fallback }

// Log returns what chronyd wrote to stderr so far.
func (c *Chronyd) Log() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return string(b)
}

var errPortTaken = errors.New("port taken")

// launch starts chronyd and waits until it answers on both command sockets.
func (c *Chronyd) launch() error {
	// Stale files of a killed chronyd: chronyd would not bind over them.
	for _, p := range []string{c.socketPath(), c.refclockPaths().GPS, c.refclockPaths().PPS} {
		os.Remove(p)
	}
	if c.opts.Refclocks {
		waitPhase(startPhase)
	}
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(c.bin, "-x", "-d", "-u", "_chrony", "-f", c.conf)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.bin, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	c.mu.Lock()
	c.cmd, c.done = cmd, done
	c.mu.Unlock()

	if err := c.waitReady(done); err != nil {
		c.kill()
		log := c.Log()
		if strings.Contains(log, fmt.Sprintf("Could not open command socket on 127.0.0.1:%d", c.cmdPort)) ||
			(c.ntpPort != 0 && strings.Contains(log, fmt.Sprintf("Could not open NTP socket on 127.0.0.1:%d", c.ntpPort))) {
			return fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return err
	}
	return nil
}

// waitReady polls the UDP command port until chronyd answers, then checks
// that the unix socket answers too.
func (c *Chronyd) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("chronyd exited at start")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		d := chrony.Probe{Address: c.UDPAddr(), Timeout: 300 * time.Millisecond}.Observe(ctx)
		cancel()
		if d.Error == "" {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			u := chrony.Probe{Address: c.UnixAddr(), Timeout: time.Second}.Observe(ctx)
			cancel()
			if u.Error != "" {
				return fmt.Errorf("chronyd answers on %s but not on %s: %s", c.UDPAddr(), c.UnixAddr(), u.Error)
			}
			return nil
		}
		last = d.Error
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("chronyd did not answer on %s within %s: %s", c.UDPAddr(), readyTimeout, last)
}

// kill ends the running chronyd (SIGKILL works on a stopped one too) and
// waits for it.
func (c *Chronyd) kill() {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.t.Errorf("chronytest: chronyd pid %d did not exit after SIGKILL", cmd.Process.Pid)
	}
}

func (c *Chronyd) signal(sig syscall.Signal) {
	c.t.Helper()
	c.mu.Lock()
	cmd := c.cmd
	c.mu.Unlock()
	if cmd == nil {
		c.t.Fatalf("chronytest: chronyd is not running")
	}
	if err := cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("chronytest: %v to chronyd: %v", sig, err)
	}
}

// Stop kills chronyd: afterwards nothing answers on its command sockets.
func (c *Chronyd) Stop() { c.kill() }

// Pause stops chronyd with SIGSTOP: it keeps its sockets but answers nothing.
func (c *Chronyd) Pause() { c.t.Helper(); c.signal(syscall.SIGSTOP) }

// Resume continues a paused chronyd (SIGCONT).
func (c *Chronyd) Resume() { c.t.Helper(); c.signal(syscall.SIGCONT) }

// Restart kills chronyd and starts it again with the same config and ports,
// and waits until it answers.
func (c *Chronyd) Restart() {
	c.t.Helper()
	c.kill()
	if err := c.launch(); err != nil {
		c.t.Fatalf("chronytest: restart: %v\nchronyd log:\n%s", err, c.Log())
	}
}

// StopFeed stops sending refclock samples, as if the GPS receiver and its
// PPS wire went dead.
func (c *Chronyd) StopFeed() { c.needFeed().stop() }

// StartFeed (re)starts sending refclock samples once a second.
func (c *Chronyd) StartFeed() { c.needFeed().start() }

// SetOffset sets the offset the refclocks report from their next sample on:
// true time minus system time (positive: the system clock is slow).
func (c *Chronyd) SetOffset(d time.Duration) { c.needFeed().setOffset(d) }

func (c *Chronyd) needFeed() *feeder {
	c.t.Helper()
	if c.feed == nil {
		c.t.Fatalf("chronytest: no refclocks configured (Options.Refclocks)")
	}
	return c.feed
}

func (c *Chronyd) cleanup() {
	if c.feed != nil {
		c.feed.close()
	}
	c.kill()
	if c.t.Failed() {
		c.t.Logf("chronyd log (%s):\n%s", c.conf, tail(c.Log(), 40))
	}
	os.RemoveAll(c.dir)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := bytes.Split([]byte(strings.TrimRight(s, "\n")), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
