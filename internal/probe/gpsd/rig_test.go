package gpsd

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

// receiver is what the fake GPS receiver reports.
type receiver struct {
	Fix    bool // a 3D fix, else none
	Used   int  // satellites used in the fix (of visible)
	Silent bool // stop talking, keep the connection
}

// visible are the satellites the receiver sees: PRN, elevation, azimuth, SNR.
var visible = [][4]int{
	{2, 67, 212, 44}, {5, 42, 88, 41}, {7, 35, 301, 38}, {9, 21, 45, 36}, {13, 55, 150, 43},
	{15, 12, 270, 30}, {18, 75, 10, 45}, {20, 30, 120, 37}, {25, 8, 330, 25}, {29, 48, 250, 40},
}

// nmeaFeeder serves NMEA 0183 over TCP on loopback, one cycle a second from
// the current time, like a receiver behind a serial-to-TCP bridge.
type nmeaFeeder struct {
	ln    net.Listener
	state atomic.Pointer[receiver]
	wg    sync.WaitGroup
	done  chan struct{}
}

func startFeeder(t *testing.T, r receiver) *nmeaFeeder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &nmeaFeeder{ln: ln, done: make(chan struct{})}
	f.set(r)
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(func() {
		close(f.done)
		ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *nmeaFeeder) set(r receiver) { f.state.Store(&r) }

func (f *nmeaFeeder) addr() string { return f.ln.Addr().String() }

func (f *nmeaFeeder) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go f.serve(c)
	}
}

func (f *nmeaFeeder) serve(c net.Conn) {
	defer f.wg.Done()
	defer c.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	now := time.Now()
	for {
		if r := f.state.Load(); !r.Silent {
			c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := c.Write([]byte(nmeaCycle(now.UTC(), *r))); err != nil {
				return
			}
		}
		select {
		case <-f.done:
			return
		case now = <-tick.C:
		}
	}
}

// nmeaCycle writes one second's sentences: RMC, GGA, GSA, GSV (NMEA 0183).
func nmeaCycle(now time.Time, r receiver) string {
	hms := fmt.Sprintf("%02d%02d%02d.%02d", now.Hour(), now.Minute(), now.Second(), now.Nanosecond()/1e7)
	dmy := now.Format("020106")
	status, quality, mode, faa := "V", 0, 1, "N"
	used := 0
	if r.Fix {
		status, quality, mode, faa = "A", 1, 3, "A"
		used = r.Used
	}
	var b strings.Builder
	add := func(format string, a ...any) {
		body := fmt.Sprintf(format, a...)
		var sum byte
		for i := 0; i < len(body); i++ {
			sum ^= body[i]
		}
		fmt.Fprintf(&b, "$%s*%02X\r\n", body, sum)
	}
	if r.Fix {
		add("GPRMC,%s,%s,4807.038,N,01131.000,E,0.0,0.0,%s,,,%s", hms, status, dmy, faa)
		add("GPGGA,%s,4807.038,N,01131.000,E,%d,%02d,0.9,545.4,M,46.9,M,,", hms, quality, used)
	} else {
		add("GPRMC,%s,%s,,,,,,,%s,,,%s", hms, status, dmy, faa)
		add("GPGGA,%s,,,,,%d,%02d,,,M,,M,,", hms, quality, used)
	}
	prns := make([]string, 12)
	for i := 0; i < used && i < 12; i++ {
		prns[i] = fmt.Sprintf("%02d", visible[i][0])
	}
	add("GPGSA,A,%d,%s,1.8,1.0,1.5", mode, strings.Join(prns, ","))
	n := (len(visible) + 3) / 4
	for i := 0; i < n; i++ {
		fields := []string{fmt.Sprintf("GPGSV,%d,%d,%02d", n, i+1, len(visible))}
		for _, s := range visible[i*4 : min(i*4+4, len(visible))] {
			fields = append(fields, fmt.Sprintf("%02d,%02d,%03d,%02d", s[0], s[1], s[2], s[3]))
		}
		add("%s", strings.Join(fields, ","))
	}
	return b.String()
}

// gpsdBinary finds gpsd, or fails (CI) or skips the test.
func gpsdBinary(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "gpsd", "gpsd")
}

var (
	unshareOnce sync.Once
	unshareOK   bool
)

// ipcPrivate reports whether gpsd can get an IPC namespace of its own:
// gpsd running as root writes NTP shared memory segments (NTP0, NTP1 ...),
// which would feed any chronyd or ntpd with an SHM refclock on this host.
func ipcPrivate() bool {
	unshareOnce.Do(func() {
		unshareOK = exec.Command("unshare", "--ipc", "true").Run() == nil
	})
	return unshareOK
}

// gpsdProcess is a gpsd started by the test.
type gpsdProcess struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{}
}

// startGPSD runs gpsd in the foreground on a free loopback port, reading the
// feeder, and waits until it accepts clients.
func startGPSD(t *testing.T, nmeaAddr string) *gpsdProcess {
	t.Helper()
	bin := gpsdBinary(t)
	dir := t.TempDir()
	for attempt := 0; attempt < 3; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		args := []string{"-N", "-n", "-S", fmt.Sprint(port), "-F", filepath.Join(dir, fmt.Sprintf("control%d.sock", attempt)), "tcp://" + nmeaAddr}
		var cmd *exec.Cmd
		if ipcPrivate() {
			cmd = exec.Command("unshare", append([]string{"--ipc", "--", bin}, args...)...)
		} else {
			t.Log("unshare --ipc not permitted: gpsd shares this host's NTP SHM segments")
			cmd = exec.Command(bin, args...)
		}
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start gpsd: %v", err)
		}
		g := &gpsdProcess{cmd: cmd, addr: fmt.Sprintf("127.0.0.1:%d", port), exited: make(chan struct{})}
		go func() { cmd.Wait(); close(g.exited) }()
		t.Cleanup(func() {
			g.stop()
			if t.Failed() {
				t.Logf("gpsd output:\n%s", out.String())
			}
		})
		if g.waitListening(5 * time.Second) {
			return g
		}
		g.stop()
		t.Logf("gpsd did not come up on port %d (attempt %d): %s", port, attempt+1, out.String())
	}
	t.Fatal("gpsd did not start")
	return nil
}

func (g *gpsdProcess) waitListening(within time.Duration) bool {
	end := time.Now().Add(within)
	for time.Now().Before(end) {
		select {
		case <-g.exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", g.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// stop kills gpsd and waits for it to exit.
func (g *gpsdProcess) stop() {
	select {
	case <-g.exited:
		return
	default:
	}
	g.cmd.Process.Kill()
	select {
	case <-g.exited:
	case <-time.After(5 * time.Second):
	}
}

// until observes every 300 ms until cond holds or within passes.
func until[T any](t *testing.T, within time.Duration, observe func(ctx context.Context) T, cond func(T) bool) (T, bool) {
	t.Helper()
	end := time.Now().Add(within)
	var last T
	for time.Now().Before(end) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		last = observe(ctx)
		cancel()
		if cond(last) {
			return last, true
		}
		time.Sleep(300 * time.Millisecond)
	}
	return last, false
}
