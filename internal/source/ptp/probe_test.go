package ptp

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/facebook/time/ptp/protocol"

	"github.com/ntphealth/ntphealth/internal/health"
)

func fakeProbe(path string) *Probe {
	return &Probe{Socket: path, Timeout: time.Second, Limits: NewConfig().limits()}
}

// near compares measured values: the wire carries ns × 2^16.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestProbeReadsPTP4L: every field of a reading comes from its data set,
// and a healthy slave is OK on every check.
func TestProbeReadsPTP4L(t *testing.T) {
	s := slaveState()
	f := newFake(t, s.answer(t))
	r := observe(t, fakeProbe(f.path))
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	want := Reading{Socket: f.path, Interface: "eth0", PortState: "SLAVE", Timestamping: "hardware", DelayMechanism: "E2E",
		AnnounceTimeoutSeconds: 6, ClockIdentity: "001122.fffe.334455", ClockClass: 255, SlaveOnly: true,
		GMPresent: true, GMIdentity: "aabbcc.fffe.ddeeff", GMClockClass: 6, GMPriority1: 128, GMPriority2: 127, StepsRemoved: 1}
	got := *r
	got.OffsetFromMasterSeconds, got.MeanPathDelaySeconds, got.GMClockAccuracySeconds, got.Limits = 0, 0, nil, Limits{}
	if got != want {
		t.Errorf("reading\n got %+v\nwant %+v", got, want)
	}
	if !near(r.OffsetFromMasterSeconds, 12e-9) || !near(r.MeanPathDelaySeconds, 2.5e-6) || r.GMClockAccuracySeconds == nil || !near(*r.GMClockAccuracySeconds, 100e-9) {
		t.Errorf("offset %g, path delay %g, accuracy %v", r.OffsetFromMasterSeconds, r.MeanPathDelaySeconds, r.GMClockAccuracySeconds)
	}
	if st, checks := verdict(r); st != health.OK {
		t.Errorf("a locked slave: %s\n%s", st, checks)
	}
	if entries, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("ntphealth-ptp.%d.*", os.Getpid()))); len(entries) > 0 {
		t.Errorf("client sockets left behind: %v", entries)
	}
}

// TestProbeOtherPortsAnswers: a clock with several ports answers a
// port-level GET once per port; the reading is the first port's, and the
// extra answers do not pass for the next request's.
func TestProbeOtherPortsAnswers(t *testing.T) {
	s := slaveState()
	s.set(func(s *fakeState) { s.ports = 3 })
	f := newFake(t, s.answer(t))
	r := observe(t, fakeProbe(f.path))
	if r.Error != "" || r.Interface != "eth0" || r.PortState != "SLAVE" {
		t.Errorf("three ports: %+v", r)
	}
}

// TestProbePeerDelay: with P2P, the path delay is the port's
// peerMeanPathDelay (ptp4l leaves currentDS.meanPathDelay at 0).
func TestProbePeerDelay(t *testing.T) {
	s := slaveState()
	s.set(func(s *fakeState) { s.mechanism, s.delayNS, s.peerDelayNS = delayP2P, 0, 800 })
	f := newFake(t, s.answer(t))
	if r := observe(t, fakeProbe(f.path)); r.DelayMechanism != "P2P" || !near(r.MeanPathDelaySeconds, 800e-9) {
		t.Errorf("P2P: mechanism %s, path delay %g", r.DelayMechanism, r.MeanPathDelaySeconds)
	}
}

// TestProbeRemembersPathDelay: the probe compares each round's path delay
// with the previous round's from the same grandmaster, and only while
// the port follows it.
func TestProbeRemembersPathDelay(t *testing.T) {
	s := slaveState()
	f := newFake(t, s.answer(t))
	p := fakeProbe(f.path)
	round := func(what string, delayNS float64, wantPrev float64, want health.Status) {
		t.Helper()
		s.set(func(s *fakeState) { s.delayNS = delayNS })
		r := observe(t, p)
		var prev float64 = -1
		if r.PreviousMeanPathDelaySeconds != nil {
			prev = *r.PreviousMeanPathDelaySeconds * 1e9
		}
		if got := checkStatus(r, CheckPathDelay); got != want || math.Abs(prev-wantPrev) > 1e-3 {
			t.Errorf("%s: %s with previous %g ns, want %s with %g", what, got, prev, want, wantPrev)
		}
	}
	round("first round", 2500, -1, health.OK)
	round("steady", 2600, 2500, health.OK)
	round("a 5 µs jump", 7600, 2600, health.Warning)
	round("after the jump", 7600, 7600, health.OK)
	s.set(func(s *fakeState) { s.gm = 0x0102030405060708 })
	round("another grandmaster", 3000, -1, health.OK)
	s.set(func(s *fakeState) { s.state = protocol.PortStateListening })
	round("listening", 3000, -1, health.Unknown)
	s.set(func(s *fakeState) { s.state = protocol.PortStateSlave })
	round("following again", 9000, -1, health.OK)
	os.Remove(f.path) // a round that cannot read keeps the memory
	if r := observe(t, p); r.Error == "" {
		t.Fatal("read a removed socket")
	}
	f2 := newFake(t, s.answer(t))
	p.Socket = f2.path
	round("after a failed round", 9000, 9000, health.OK)
}

// TestProbeFaults: every way of failing gives one CRITICAL check whose
// message says what to do, within the deadline.
func TestProbeFaults(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, tc := range []struct {
		name string
		path func(t *testing.T) string
		want []string
	}{
		{"no socket", func(t *testing.T) string { return filepath.Join(t.TempDir(), "ptp4l") },
			[]string{"no socket at", "is ptp4l running?", "uds_address"}},
		{"stale socket", staleSocket,
			[]string{"refuses connections", "stale socket", "is ptp4l running?"}},
		{"regular file", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "ptp4l")
			os.WriteFile(p, nil, 0o600)
			return p
		}, []string{"is not a socket", "uds_address"}},
		{"stream socket", func(t *testing.T) string {
			p := filepath.Join(sockDir(t), "ptp4l")
			ln, err := net.Listen("unix", p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			return p
		}, []string{"not a datagram socket"}},
		{"silent", func(t *testing.T) string { return newFake(t, func([]byte) [][]byte { return nil }).path },
			[]string{"DEFAULT_DATA_SET request: no answer from", "within 300ms", "domainNumber 0", "ptp.domain"}},
		{"garbage", func(t *testing.T) string {
			return newFake(t, func([]byte) [][]byte { return [][]byte{[]byte("HTTP/1.0 400 Bad Request\r\n\r\n")} }).path
		}, []string{"DEFAULT_DATA_SET request: the answer from", "is not a ptp4l management reply", "is it ptp4l's uds_address?"}},
		{"refused", func(t *testing.T) string {
			return newFake(t, func(req []byte) [][]byte {
				return [][]byte{refusal(t, requestSeq(req), requestID(req), protocol.ErrorNotSupported)}
			}).path
		}, []string{"ptp4l refused the DEFAULT_DATA_SET request with NOT_SUPPORTED"}},
		{"wrong answer", func(t *testing.T) string {
			s := slaveState()
			answer := s.answer(t)
			// Answers every request as if it were CURRENT_DATA_SET.
			return newFake(t, func(req []byte) [][]byte {
				binary := append([]byte{}, req...)
				binary[52], binary[53] = 0x20, 0x01
				return answer(binary)
			}).path
		}, []string{"DEFAULT_DATA_SET request", "not a ptp4l management reply"}},
		{"unwritable TMPDIR", func(t *testing.T) string {
			t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
			return filepath.Join(t.TempDir(), "ptp4l")
		}, []string{"cannot create the client socket", "set TMPDIR"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fakeProbe(tc.path(t))
			p.Timeout = timeout
			start := time.Now()
			r := observe(t, p)
			took := time.Since(start)
			checks := r.Checks()
			if len(checks) != 1 || checks[0].Name != CheckPortState || checks[0].Status != health.Critical {
				t.Fatalf("checks %+v", checks)
			}
			for _, w := range tc.want {
				if !strings.Contains(checks[0].Message, w) {
					t.Errorf("message %q lacks %q", checks[0].Message, w)
				}
			}
			// The deadline covers the whole exchange; 200 ms is scheduling
			// slack on a shared machine.
			if took > timeout+200*time.Millisecond {
				t.Errorf("took %s, deadline %s", took, timeout)
			}
		})
	}
}

// TestProbeCancelled: cancelling the context (SIGTERM to the daemon) ends
// a reading at once, and says so.
func TestProbeCancelled(t *testing.T) {
	f := newFake(t, func([]byte) [][]byte { return nil })
	p := fakeProbe(f.path)
	p.Timeout = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	r := p.Observe(ctx).(*Reading)
	if took := time.Since(start); took > 2*time.Second || !strings.Contains(r.Error, "cancelled") {
		t.Errorf("cancelled after 100 ms: %q after %s", r.Error, took)
	}
}

// TestExplainPermission: a socket ntphealth may not use (ptp4l's is root's,
// 0660) says to run as root or add the drop-in. The tests run as root,
// which no permission stops, so the error is made here.
func TestExplainPermission(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.EPERM} {
		err := &stepError{step: "connect", err: &net.OpError{Op: "dial", Net: "unixgram", Err: os.NewSyscallError("connect", errno)}}
		msg := explain(err, DefaultSocket, 0, time.Second, false)
		for _, w := range []string{"permission denied on /var/run/ptp4l", "run ntphealth as root", "drop-in"} {
			if !strings.Contains(msg, w) {
				t.Errorf("%v: %q lacks %q", errno, msg, w)
			}
		}
	}
}
