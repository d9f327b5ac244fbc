package chrony_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
)

// TestFaultyServers: UDP servers that answer what no chronyd does. Observe
// must return an observation with a clear error within its deadline.
func TestFaultyServers(t *testing.T) {
	t.Parallel()
	// A tracking reply header (candm.h CMD_Reply) cut short after 20 bytes:
	// version 6, packet type 2 (reply), command 33, reply 5 (RPY_TRACKING).
	truncated := []byte{6, 2, 0, 0, 0, 33, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	for _, tc := range []struct {
		name  string
		reply func([]byte) []byte
		want  string
	}{
		{"garbage", func([]byte) []byte { return []byte("HTTP/1.0 400 Bad Request\r\n\r\n garbage, not chronyd") }, "not a chronyd reply"},
		{"truncated", func([]byte) []byte { return truncated }, "reply of 20 bytes, shorter than its 28-byte header: malformed reply"},
		{"echo", func(req []byte) []byte { return req }, "malformed reply"},
		{"silent", func([]byte) []byte { return nil }, "no answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := fakeServer(t, tc.reply)
			const timeout = 500 * time.Millisecond
			start := time.Now()
			d := chrony.Probe{Address: addr, Timeout: timeout}.Observe(context.Background())
			if took := time.Since(start); took > timeout+3*time.Second {
				t.Errorf("Observe took %v with a %v timeout", took, timeout)
			}
			if !strings.Contains(d.Error, tc.want) || !strings.HasPrefix(d.Error, "tracking request: ") {
				t.Errorf("error %q, want it to contain %q", d.Error, tc.want)
			}
			if len(d.Sources) != 0 || d.Tracking.RefID != "" {
				t.Errorf("data despite the error: %+v", d)
			}
			r := verdict(d)
			if c, _ := r.Check("reachable"); r.Status != health.Critical || c.Status != health.Critical {
				t.Errorf("verdict %v: %s", r.Status, r.Summary)
			}
		})
	}
}

// TestCancelledContext: a cancelled context ends the wait for a silent
// server at once, long before the probe's own timeout.
func TestCancelledContext(t *testing.T) {
	t.Parallel()
	addr := fakeServer(t, func([]byte) []byte { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	d := chrony.Probe{Address: addr, Timeout: time.Minute}.Observe(ctx)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Observe took %v after cancel", took)
	}
	if d.Error == "" {
		t.Errorf("no error from a silent server")
	}
}

// TestNoSocket: a unix socket path where nothing is.
func TestNoSocket(t *testing.T) {
	t.Parallel()
	d := chrony.Probe{Address: "unix:///nonexistent/chronyd.sock", Timeout: time.Second}.Observe(context.Background())
	if !strings.Contains(d.Error, "no command socket there") {
		t.Errorf("error %q", d.Error)
	}
}

// TestStaleSocket: the socket file of a dead chronyd refuses the connection;
// the probe says so and leaves no socket file of its own behind, in that
// directory or the temp directory, however often it is asked.
func TestStaleSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "chronyd.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	l.Close() // the file stays, nothing listens: a dead chronyd's socket
	ours := func() []string {
		a, _ := filepath.Glob(filepath.Join(dir, "ntphealth.*.sock"))
		b, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("ntphealth.%d.*.sock", os.Getpid())))
		return append(a, b...)
	}
	for range 3 {
		d := chrony.Probe{Address: "unix://" + path, Timeout: time.Second}.Observe(context.Background())
		if !strings.Contains(d.Error, "connection refused") {
			t.Errorf("error %q, want connection refused", d.Error)
		}
	}
	if left := ours(); len(left) != 0 {
		t.Errorf("socket files left behind: %v", left)
	}
}
