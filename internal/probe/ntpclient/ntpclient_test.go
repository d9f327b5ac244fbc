package ntpclient

import (
	"context"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient/ntptest"
)

// loopbackTolerance is how far an offset measured against a responder on
// the same clock may stray: scheduling noise on a loaded CI machine.
const loopbackTolerance = 0.02

func TestObserveResponder(t *testing.T) {
	tests := []struct {
		name  string
		reply ntptest.Reply
		check func(t *testing.T, r *observe.Remote)
	}{
		{
			name:  "good stratum 1",
			reply: ntptest.Reply{RefID: "PPS", RootDelay: 0, RootDispersion: 10 * time.Microsecond},
			check: func(t *testing.T, r *observe.Remote) {
				wantAnswered(t, r, 4)
				if r.Stratum != 1 || r.RefID != "PPS" || r.RefName != "" || r.Leap != observe.LeapNone {
					t.Errorf("stratum %d refid %q name %q leap %v, want 1 PPS normal", r.Stratum, r.RefID, r.RefName, r.Leap)
				}
				if math.Abs(r.Offset) > loopbackTolerance {
					t.Errorf("offset %g s, want about 0", r.Offset)
				}
				if r.ValidateError != "" || r.KissCode != "" {
					t.Errorf("validate %q kiss %q, want none", r.ValidateError, r.KissCode)
				}
				if r.Poll != 6 || math.Abs(r.Precision-math.Pow(2, -20)) > 1e-9 {
					t.Errorf("poll %d precision %g, want 6 and 2^-20", r.Poll, r.Precision)
				}
				if r.RTT <= 0 || r.RTT > 1 {
					t.Errorf("rtt %g s, want a small positive number", r.RTT)
				}
			},
		},
		{
			name:  "server ahead: local clock behind, positive offset",
			reply: ntptest.Reply{ClockOffset: 500 * time.Millisecond},
			check: func(t *testing.T, r *observe.Remote) {
				wantAnswered(t, r, 4)
				if math.Abs(r.Offset-0.5) > loopbackTolerance {
					t.Errorf("offset %g s, want +0.5 (local clock behind)", r.Offset)
				}
			},
		},
		{
			name:  "server behind: local clock ahead, negative offset",
			reply: ntptest.Reply{ClockOffset: -2 * time.Second},
			check: func(t *testing.T, r *observe.Remote) {
				wantAnswered(t, r, 4)
				if math.Abs(r.Offset+2) > loopbackTolerance {
					t.Errorf("offset %g s, want -2 (local clock ahead)", r.Offset)
				}
			},
		},
		{
			name: "stratum 2 with root delay and dispersion",
			reply: ntptest.Reply{Stratum: 2, RefID: "192.0.2.1",
				RootDelay: 20 * time.Millisecond, RootDispersion: 5 * time.Millisecond},
			check: func(t *testing.T, r *observe.Remote) {
				wantAnswered(t, r, 4)
				if r.RefID != "C0000201" || r.RefName != "192.0.2.1" {
					t.Errorf("refid %q name %q, want C0000201 192.0.2.1", r.RefID, r.RefName)
				}
				if math.Abs(r.RootDelay-0.02) > 1e-4 || math.Abs(r.RootDispersion-0.005) > 1e-4 {
					t.Errorf("root delay %g dispersion %g, want 0.02 and 0.005", r.RootDelay, r.RootDispersion)
				}
				want := (r.RTT+r.RootDelay)/2 + r.RootDispersion
				if math.Abs(r.RootDistance-want) > 1e-6 {
					t.Errorf("root distance %g, want (rtt + root delay)/2 + root dispersion = %g", r.RootDistance, want)
				}
				if got := r.MaxError(); math.Abs(got-(math.Abs(r.Offset)+r.RootDistance)) > 1e-12 {
					t.Errorf("max error %g", got)
				}
			},
		},
		{
			name:  "stratum 16, leap unsynchronised",
			reply: ntptest.Reply{Stratum: 16, Leap: 3, RefID: "INIT"},
			check: func(t *testing.T, r *observe.Remote) {
				wantAnswered(t, r, 4)
				if r.Stratum != 16 || r.Leap != observe.LeapNotInSync {
					t.Errorf("stratum %d leap %v, want 16 and not synchronised", r.Stratum, r.Leap)
				}
				if !strings.Contains(r.ValidateError, "not synchronised") {
					t.Errorf("validate error %q, want it to say not synchronised", r.ValidateError)
				}
			},
		},
		{
			name:  "leap second announced",
			reply: ntptest.Reply{Leap: 1},
			check: func(t *testing.T, r *observe.Remote) {
				wantAnswered(t, r, 4)
				if r.Leap != observe.LeapInsert || r.ValidateError != "" {
					t.Errorf("leap %v validate %q, want insert and valid", r.Leap, r.ValidateError)
				}
			},
		},
		{
			name:  "stale reference time",
			reply: ntptest.Reply{ReferenceAge: 48 * time.Hour},
			check: func(t *testing.T, r *observe.Remote) {
				wantAnswered(t, r, 4)
				if !strings.Contains(r.ValidateError, "older than 36 h") {
					t.Errorf("validate error %q, want stale reference", r.ValidateError)
				}
			},
		},
		{
			name:  "kiss-o'-death RATE stops sampling",
			reply: ntptest.Reply{Kiss: "RATE"},
			check: func(t *testing.T, r *observe.Remote) {
				if r.Error != "" || r.KissCode != "RATE" {
					t.Fatalf("error %q kiss %q, want no error and RATE", r.Error, r.KissCode)
				}
				if r.SamplesSent != 1 || r.SamplesAnswered != 1 || r.SamplesUsable != 0 || r.Answered() {
					t.Errorf("sent %d answered %d usable %d, want 1 1 0", r.SamplesSent, r.SamplesAnswered, r.SamplesUsable)
				}
			},
		},
		{
			name:  "kiss-o'-death DENY",
			reply: ntptest.Reply{Kiss: "DENY"},
			check: func(t *testing.T, r *observe.Remote) {
				if r.KissCode != "DENY" || r.Answered() {
					t.Errorf("kiss %q answered %v, want DENY and not answered", r.KissCode, r.Answered())
				}
			},
		},
		{
			name:  "unsynchronised chronyd: stratum 0, refid 0, not a kiss",
			reply: ntptest.Reply{Unsynchronised: true},
			check: func(t *testing.T, r *observe.Remote) {
				wantAnswered(t, r, 4)
				if r.KissCode != "" || r.Stratum != 0 || r.Leap != observe.LeapNotInSync || r.RefID != "00000000" {
					t.Errorf("kiss %q stratum %d leap %v refid %q, want no kiss, 0, not synchronised, 00000000",
						r.KissCode, r.Stratum, r.Leap, r.RefID)
				}
				if r.ValidateError == "" {
					t.Errorf("validate error empty, want a reason")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ntptest.Start(t, tt.reply)
			r := Probe{Target: s.Addr(), Timeout: 2 * time.Second}.Observe(context.Background())
			if r.Target != s.Addr() || r.Address != s.Addr() {
				t.Errorf("target %q address %q, want %q", r.Target, r.Address, s.Addr())
			}
			tt.check(t, r)
		})
	}
}

func wantAnswered(t *testing.T, r *observe.Remote, n int) {
	t.Helper()
	if r.Error != "" {
		t.Fatalf("error %q, want an answer", r.Error)
	}
	if r.SamplesSent != n || r.SamplesAnswered != n || r.SamplesUsable != n || !r.Answered() {
		t.Fatalf("sent %d answered %d usable %d, want %d each", r.SamplesSent, r.SamplesAnswered, r.SamplesUsable, n)
	}
}

func TestObserveFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   ntptest.Fault
		want    string
		maxTime time.Duration
	}{
		{"silent server: deadline holds", ntptest.FaultSilent, "no answer from", 1500 * time.Millisecond},
		{"short reply", ntptest.FaultShort, "no usable reply", time.Second},
		{"reply in client mode", ntptest.FaultWrongMode, "invalid mode", time.Second},
		{"reply to another query", ntptest.FaultWrongOrigin, "didn't match", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ntptest.Start(t, ntptest.Reply{Fault: tt.fault})
			start := time.Now()
			r := Probe{Target: s.Addr(), Timeout: 400 * time.Millisecond}.Observe(context.Background())
			if took := time.Since(start); took > tt.maxTime {
				t.Errorf("probe took %s, want at most %s", took, tt.maxTime)
			}
			if !strings.Contains(r.Error, tt.want) || r.Answered() {
				t.Errorf("error %q answered %v, want it to contain %q", r.Error, r.Answered(), tt.want)
			}
			if testing.Verbose() {
				t.Log(r.Error)
			}
			if r.SamplesSent < 1 || r.SamplesUsable != 0 || s.Queries() != r.SamplesSent {
				t.Errorf("sent %d usable %d, server saw %d", r.SamplesSent, r.SamplesUsable, s.Queries())
			}
		})
	}
}

func TestObserveSilentSendsEverySample(t *testing.T) {
	s := ntptest.Start(t, ntptest.Reply{Fault: ntptest.FaultSilent})
	r := Probe{Target: s.Addr(), Samples: 4, Timeout: 400 * time.Millisecond}.Observe(context.Background())
	// Each query has Timeout/Samples = 100 ms of its own, so all four go out.
	if r.SamplesSent != 4 || s.Queries() != 4 {
		t.Errorf("sent %d, server saw %d, want 4", r.SamplesSent, s.Queries())
	}
	if r.DurationSeconds < 0.3 || r.DurationSeconds > 1 {
		t.Errorf("duration %g s, want about 0.4", r.DurationSeconds)
	}
}

func TestObserveLateAnswerStillCounts(t *testing.T) {
	// A reply slower than the per-query deadline is lost; one within it is used.
	s := ntptest.Start(t, ntptest.Reply{Delay: 50 * time.Millisecond})
	r := Probe{Target: s.Addr(), Samples: 2, Timeout: time.Second}.Observe(context.Background())
	wantAnswered(t, r, 2)
	if r.RTT < 0.045 {
		t.Errorf("rtt %g s, want at least the 50 ms delay", r.RTT)
	}
}

func TestObserveRefused(t *testing.T) {
	// A port nobody listens on: loopback answers with ICMP port unreachable.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	r := Probe{Target: addr, Timeout: time.Second}.Observe(context.Background())
	if !strings.Contains(r.Error, "refused") {
		t.Errorf("error %q, want refused", r.Error)
	}
}

func TestObserveCancel(t *testing.T) {
	s := ntptest.Start(t, ntptest.Reply{Fault: ntptest.FaultSilent})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	r := Probe{Target: s.Addr(), Samples: 1, Timeout: 10 * time.Second}.Observe(ctx)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("cancelled probe took %s", took)
	}
	if !strings.Contains(r.Error, "cancelled") {
		t.Errorf("error %q, want cancelled", r.Error)
	}
}

func TestObserveBadTarget(t *testing.T) {
	for _, target := range []string{"", "http://192.0.2.1", "192.0.2.1:0", "host/path"} {
		r := Probe{Target: target}.Observe(context.Background())
		if !strings.Contains(r.Error, "host[:port]") || r.SamplesSent != 0 || r.Address != "" {
			t.Errorf("target %q: error %q sent %d address %q", target, r.Error, r.SamplesSent, r.Address)
		}
	}
}

func TestObserveHostName(t *testing.T) {
	s := ntptest.Start(t, ntptest.Reply{})
	_, port, _ := net.SplitHostPort(s.Addr())
	r := Probe{Target: "localhost:" + port, Samples: 1}.Observe(context.Background())
	if r.Error != "" {
		// localhost may resolve to ::1 first on some hosts; the responder
		// listens on 127.0.0.1 only.
		if strings.HasPrefix(r.Address, "[::1]") {
			t.Skipf("localhost resolves to ::1 here: %s", r.Error)
		}
		t.Fatalf("error %q", r.Error)
	}
	if r.Address != s.Addr() {
		t.Errorf("address %q, want %q", r.Address, s.Addr())
	}
}

func TestObserveIPv6(t *testing.T) {
	s, err := ntptest.Listen("[::1]:0", ntptest.Reply{})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer s.Close()
	r := Probe{Target: s.Addr(), Samples: 1}.Observe(context.Background())
	if r.Error != "" || r.Address != s.Addr() {
		t.Errorf("error %q address %q, want an answer from %s", r.Error, r.Address, s.Addr())
	}
}

func TestDefaultPort(t *testing.T) {
	// Port is used when the target has none.
	s := ntptest.Start(t, ntptest.Reply{})
	_, port, _ := net.SplitHostPort(s.Addr())
	var n int
	for _, c := range port {
		n = n*10 + int(c-'0')
	}
	r := Probe{Target: "127.0.0.1", Port: n, Samples: 1}.Observe(context.Background())
	if r.Error != "" || r.Address != s.Addr() {
		t.Errorf("error %q address %q", r.Error, r.Address)
	}
}

func TestRefID(t *testing.T) {
	tests := []struct {
		id         uint32
		stratum    uint8
		code, name string
	}{
		{0x47505300, 1, "GPS", ""},
		{0x50505300, 1, "PPS", ""},
		{0x52415445, 0, "RATE", ""},
		{0x7F7F0101, 10, "7F7F0101", "127.127.1.1"},
		{0xC0000201, 2, "C0000201", "192.0.2.1"},
		{0, 0, "00000000", "0.0.0.0"},
		{0x01020304, 1, "01020304", "1.2.3.4"}, // not printable
	}
	for _, tt := range tests {
		code, name := refID(tt.id, tt.stratum)
		if code != tt.code || name != tt.name {
			t.Errorf("refID(%08X, %d) = %q %q, want %q %q", tt.id, tt.stratum, code, name, tt.code, tt.name)
		}
	}
}

func TestLog2(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want int
	}{{time.Second, 0}, {64 * time.Second, 6}, {time.Second / 4, -2}, {0, 0}} {
		if got := log2(tt.d); got != tt.want {
			t.Errorf("log2(%s) = %d, want %d", tt.d, got, tt.want)
		}
	}
}
