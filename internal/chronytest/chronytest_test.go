package chronytest

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

func TestSockSampleLayout(t *testing.T) {
	b := sockSample{Sec: 1, Usec: 2, Offset: 0.5, Pulse: 1, Leap: 0, Magic: sockMagic}.encode()
	if len(b) != 40 {
		t.Fatalf("sock_sample is %d bytes, chronyd wants 40", len(b))
	}
	if got := binary.NativeEndian.Uint32(b[36:]); got != sockMagic {
		t.Errorf("magic at offset 36 = %#x", got)
	}
	if got := math.Float64frombits(binary.NativeEndian.Uint64(b[16:])); got != 0.5 {
		t.Errorf("offset at 16 = %g", got)
	}
	if got := binary.NativeEndian.Uint32(b[24:]); got != 1 {
		t.Errorf("pulse at 24 = %d", got)
	}
}

func TestUntilPhase(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		now   time.Duration // past the second
		phase time.Duration
		want  time.Duration
	}{
		{0, 100 * time.Millisecond, 100 * time.Millisecond},
		{50 * time.Millisecond, 100 * time.Millisecond, 50 * time.Millisecond},
		{100 * time.Millisecond, 100 * time.Millisecond, time.Second},
		{700 * time.Millisecond, 100 * time.Millisecond, 400 * time.Millisecond},
	} {
		if got := untilPhase(base.Add(tc.now), tc.phase); got != tc.want {
			t.Errorf("untilPhase(+%v, %v) = %v, want %v", tc.now, tc.phase, got, tc.want)
		}
	}
}

func ppsSelected(d *observe.Daemon) bool {
	s, ok := d.Selected()
	return d.Error == "" && ok && s.Name == "PPS"
}

// TestRig drives one chronyd through the rig's controls: the feed's offset,
// a restart on the same ports, the feed stopped and started again.
func TestRig(t *testing.T) {
	t.Parallel()
	c := Start(t, Options{Refclocks: true})
	udp, unix := c.UDPAddr(), c.UnixAddr()
	c.WaitFor(t, 30*time.Second, ppsSelected)

	c.SetOffset(30 * time.Millisecond)
	c.WaitFor(t, 20*time.Second, func(d *observe.Daemon) bool {
		return ppsSelected(d) && math.Abs(d.Tracking.SystemOffset-0.030) < 0.002
	})

	c.Restart()
	if c.UDPAddr() != udp || c.UnixAddr() != unix {
		t.Errorf("restart moved chronyd from %s %s to %s %s", udp, unix, c.UDPAddr(), c.UnixAddr())
	}
	c.SetOffset(0)
	c.WaitFor(t, 30*time.Second, ppsSelected)

	c.StopFeed()
	c.WaitFor(t, 30*time.Second, func(d *observe.Daemon) bool {
		return d.Error == "" && len(d.Sources) == 2 && d.Sources[0].Reach == 0 && d.Sources[1].Reach == 0
	})
	c.StartFeed()
	c.WaitFor(t, 30*time.Second, func(d *observe.Daemon) bool {
		return d.Error == "" && len(d.Sources) == 2 && d.Sources[1].Reach != 0
	})
}

// TestNoSources: the zero Options is a chronyd with nothing configured; the
// fallback serves NTP on its own port.
func TestNoSources(t *testing.T) {
	t.Parallel()
	c := Start(t, Options{Serve: true, LocalStratum: 2})
	d := c.WaitFor(t, 10*time.Second, func(d *observe.Daemon) bool { return d.Error == "" })
	if len(d.Sources) != 0 {
		t.Errorf("sources %+v, want none", d.Sources)
	}
	if c.NTPAddr() == "" || c.Fallback() != nil {
		t.Errorf("NTPAddr %q Fallback %v", c.NTPAddr(), c.Fallback())
	}
	c.Stop()
	c.Stop() // twice is harmless
}
