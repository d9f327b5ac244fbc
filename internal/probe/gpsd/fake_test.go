package gpsd

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/testenv"
)

// fakeServer answers each connection with serve; for faults a real gpsd
// cannot be made to show (a stranger on the port, a hung gpsd, PPS).
func fakeServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// replay sends the captured greeting, then the captured reports with a
// fresh TPV time and a PPS report after the watch command.
func replay(t *testing.T, pps bool) func(net.Conn) {
	b, err := os.ReadFile("testdata/gpsd-3.22-fix.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return func(c net.Conn) {
		c.Write([]byte(lines[0] + "\n"))
		buf := make([]byte, 512)
		if _, err := c.Read(buf); err != nil {
			return
		}
		now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		var out strings.Builder
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, `{"class":"TPV"`) {
				i := strings.Index(l, `"time":"`) + len(`"time":"`)
				l = l[:i] + now + l[i+len(now):]
				if pps {
					out.WriteString(`{"class":"PPS","device":"/dev/pps0","real_sec":1,"real_nsec":0,"clock_sec":1,"clock_nsec":0,"precision":-20}` + "\n")
				}
			}
			out.WriteString(l + "\n")
		}
		c.Write([]byte(out.String()))
		c.Read(buf) // hold the connection until the probe leaves
	}
}

func TestFakeReplayPPS(t *testing.T) {
	addr := fakeServer(t, replay(t, true))
	o := Probe{Address: addr}.Observe(context.Background())
	if o.Error != "" || !o.PPS || !o.Fresh || o.Mode != 3 || count(o.SatellitesUsed) != 8 || o.TPVAgeSeconds == nil || *o.TPVAgeSeconds > 1 {
		t.Fatalf("observation %+v", o)
	}
	for _, c := range health.GPSChecks(o, health.DefaultGPSPolicy()) {
		if c.Status != health.OK {
			t.Errorf("%s %v %s", c.Name, c.Status, c.Message)
		}
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		serve func(net.Conn)
		want  string
	}{
		{name: "not gpsd", serve: func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n")); c.Read(make([]byte, 1)) },
			want: "read greeting"},
		{name: "another JSON service", serve: func(c net.Conn) { c.Write([]byte(`{"class":"HELLO"}` + "\n")); c.Read(make([]byte, 1)) },
			want: "not a gpsd VERSION report"},
		{name: "hung", serve: func(c net.Conn) { c.Read(make([]byte, 1)) },
			want: "no answer in time"},
		{name: "greets then hangs", serve: func(c net.Conn) {
			c.Write([]byte(`{"class":"VERSION","release":"3.22"}` + "\n"))
			io.Copy(io.Discard, c)
		}, want: "no answer in time"},
		{name: "error report", serve: func(c net.Conn) {
			c.Write([]byte(`{"class":"VERSION","release":"3.22"}` + "\n"))
			c.Read(make([]byte, 512))
			c.Write([]byte(`{"class":"ERROR","message":"Unrecognized request"}` + "\n"))
			c.Read(make([]byte, 1))
		}, want: "gpsd error: Unrecognized request"},
		{name: "closes", serve: func(c net.Conn) {}, want: "EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := fakeServer(t, tc.serve)
			p := Probe{Address: addr, Timeout: 500 * time.Millisecond}
			start := time.Now()
			o := p.Observe(context.Background())
			if took := time.Since(start); took > p.Timeout+2*time.Second {
				t.Errorf("took %v, beyond the %v timeout", took, p.Timeout)
			}
			if !strings.Contains(o.Error, tc.want) {
				t.Fatalf("error %q, want %q", o.Error, tc.want)
			}
			cs := health.GPSChecks(o, health.DefaultGPSPolicy())
			if len(cs) != 1 || cs[0].Status != health.Critical {
				t.Fatalf("checks %+v", cs)
			}
		})
	}
}

func TestCancelled(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn) { c.Read(make([]byte, 1)) })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	o := Probe{Address: addr, Timeout: 10 * time.Second}.Observe(ctx)
	if took := time.Since(start); took > 2*time.Second || o.Error == "" {
		t.Fatalf("took %v, error %q", took, o.Error)
	}
}

func TestNothingListens(t *testing.T) {
	o := Probe{Address: testenv.FreeTCPAddr(t)}.Observe(context.Background())
	if !strings.Contains(o.Error, "connection refused") || !strings.Contains(o.Error, "is gpsd running") {
		t.Fatalf("error %q", o.Error)
	}
}
