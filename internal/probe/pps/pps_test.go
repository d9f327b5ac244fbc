package pps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// fakeDevice is a sysfs tree with one PPS device whose assert file the test
// writes, as the kernel would on each pulse.
type fakeDevice struct {
	root, path string
	seq        int
}

func newFakeDevice(t *testing.T, name string) *fakeDevice {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "class", "pps", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &fakeDevice{root: root, path: filepath.Join(dir, "assert")}
	d.write(t, "0.000000000#0\n") // a device that never saw a pulse
	return d
}

// write replaces the assert file at once, as a sysfs read is atomic.
func (d *fakeDevice) write(t *testing.T, text string) {
	tmp := d.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, d.path); err != nil {
		t.Error(err)
	}
}

func (d *fakeDevice) pulse(t *testing.T, at time.Time) {
	d.seq++
	d.write(t, fmt.Sprintf("%d.%09d#%d\n", at.Unix(), at.Nanosecond(), d.seq))
}

// pulseEvery writes a pulse each period until ctx ends; done closes then.
func (d *fakeDevice) pulseEvery(ctx context.Context, t *testing.T, period time.Duration) (done chan struct{}) {
	done = make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		d.pulse(t, time.Now())
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				d.pulse(t, now)
			}
		}
	}()
	return done
}

func TestPulsesThenSilence(t *testing.T) {
	dev := newFakeDevice(t, "pps0")
	ctx, stop := context.WithCancel(context.Background())
	done := dev.pulseEvery(ctx, t, time.Second)
	defer func() { stop(); <-done }()

	// A wait well over the 1 s period: the test's writer, unlike a kernel
	// PPS device, may run late on a loaded machine (-race).
	p := &Probe{Device: "pps0", SysfsRoot: dev.root, Wait: 1600 * time.Millisecond}
	policy := health.DefaultPPSPolicy()
	octx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	o := p.Observe(octx) // first read: waits for the sequence to move
	if o.Error != "" || !o.Advanced || o.Sequence < 2 || o.GapSeconds < 0 || o.GapSeconds > 1.6 {
		t.Fatalf("while pulsing: %+v", o)
	}
	if c := health.PPSChecks(o, policy)[0]; c.Status != health.OK {
		t.Fatalf("while pulsing: %v %s", c.Status, c.Message)
	}

	// The wire goes dead: no pulse for more than MaxGap.
	stop()
	<-done
	time.Sleep(policy.MaxGap + 300*time.Millisecond)
	o = p.Observe(context.Background()) // remembered state: no wait
	if o.Advanced || o.UnchangedSeconds < policy.MaxGap.Seconds() {
		t.Errorf("after silence: %+v", o)
	}
	c := health.PPSChecks(o, policy)[0]
	if c.Status != health.Critical || !strings.Contains(c.Message, "no PPS pulse for") {
		t.Fatalf("after silence: %v %s", c.Status, c.Message)
	}
	t.Log(c.Message)
}

// TestOneShotStuck: a fresh probe (ntphealth check) watches the sequence for
// Wait and reports it stuck although the last pulse looks recent (as after a
// backward clock step).
func TestOneShotStuck(t *testing.T) {
	dev := newFakeDevice(t, "pps1")
	dev.pulse(t, time.Now().Add(200*time.Millisecond)) // "recent" for the whole wait
	p := &Probe{Device: "pps1", SysfsRoot: dev.root, Wait: 1100 * time.Millisecond}
	start := time.Now()
	o := p.Observe(context.Background())
	if took := time.Since(start); took < p.Wait || took > p.Wait+2*time.Second {
		t.Errorf("observe took %v, want about %v", took, p.Wait)
	}
	if o.Advanced || o.UnchangedSeconds < 1.1 {
		t.Fatalf("observation %+v", o)
	}
	c := health.PPSChecks(o, health.DefaultPPSPolicy())[0]
	if c.Status != health.Critical || !strings.Contains(c.Message, "stuck at 1") {
		t.Fatalf("%v %s", c.Status, c.Message)
	}
}

// TestWaitBoundedByContext: the first read's wait ends with the context.
func TestWaitBoundedByContext(t *testing.T) {
	dev := newFakeDevice(t, "pps0")
	dev.pulse(t, time.Now())
	p := &Probe{Device: "pps0", SysfsRoot: dev.root, Wait: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	o := p.Observe(ctx)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("observe took %v despite a 300 ms deadline", took)
	}
	if o.Error != "" || o.Sequence != 1 {
		t.Fatalf("observation %+v", o)
	}
}

func TestNeverPulsed(t *testing.T) {
	dev := newFakeDevice(t, "pps0")
	o := (&Probe{Device: "pps0", SysfsRoot: dev.root, Wait: 10 * time.Millisecond}).Observe(context.Background())
	if o.Error != "" || o.Sequence != 0 || !o.AssertTime.IsZero() {
		t.Fatalf("observation %+v", o)
	}
	if c := health.PPSChecks(o, health.DefaultPPSPolicy())[0]; c.Status != health.Critical || !strings.Contains(c.Message, "ever") {
		t.Fatalf("%v %s", c.Status, c.Message)
	}
}

func TestMissingDevice(t *testing.T) {
	root := t.TempDir()
	o := (&Probe{Device: "pps7", SysfsRoot: root}).Observe(context.Background())
	want := filepath.Join(root, "class/pps/pps7/assert")
	if !o.Missing || o.Path != want || !strings.Contains(o.Error, "ls /sys/class/pps") {
		t.Fatalf("observation %+v", o)
	}
	c := health.PPSChecks(o, health.DefaultPPSPolicy())[0]
	if c.Status != health.Critical || !strings.Contains(c.Message, want) {
		t.Fatalf("%v %s", c.Status, c.Message)
	}
}

func TestMalformed(t *testing.T) {
	dev := newFakeDevice(t, "pps0")
	dev.write(t, "1700000000.5#3\n")
	o := (&Probe{Device: "pps0", SysfsRoot: dev.root}).Observe(context.Background())
	if o.Missing || !strings.Contains(o.Error, dev.path) || !strings.Contains(o.Error, "secs.nnnnnnnnn") {
		t.Fatalf("observation %+v", o)
	}
	if c := health.PPSChecks(o, health.DefaultPPSPolicy())[0]; c.Status != health.Critical || !strings.Contains(c.Message, "unreadable") {
		t.Fatalf("%v %s", c.Status, c.Message)
	}
}

func TestParseAssert(t *testing.T) {
	tests := []struct {
		in      string
		want    Assert
		wantErr string
	}{
		{in: "1700000000.123456789#42\n", want: Assert{Time: time.Unix(1700000000, 123456789).UTC(), Sequence: 42}},
		{in: "1700000000.000000001#7", want: Assert{Time: time.Unix(1700000000, 1).UTC(), Sequence: 7}},
		{in: "0.000000000#0\n", want: Assert{}},
		{in: "1.000000000#-1\n", want: Assert{Time: time.Unix(1, 0).UTC(), Sequence: 1<<32 - 1}}, // u32 printed with %d
		{in: "", wantErr: "empty assert file"},
		{in: "\n", wantErr: "empty assert file"},
		{in: "1700000000.123456789", wantErr: "no '#'"},
		{in: "1700000000#4", wantErr: "secs.nnnnnnnnn"},
		{in: "1700000000.12345#4", wantErr: "secs.nnnnnnnnn"},
		{in: "17x0.123456789#4", wantErr: "bad seconds"},
		{in: "+1.123456789#4", wantErr: "bad seconds"},
		{in: "1.12345678x#4", wantErr: "bad nanoseconds"},
		{in: "1.123456789#", wantErr: "bad sequence"},
		{in: "1.123456789#4294967296", wantErr: "bad sequence"},
		{in: "1.123456789#-2147483649", wantErr: "bad sequence"},
		{in: "1.123456789#4 extra", wantErr: "bad sequence"},
	}
	for _, tc := range tests {
		got, err := ParseAssert(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseAssert(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !got.Time.Equal(tc.want.Time) || got.Sequence != tc.want.Sequence {
			t.Errorf("ParseAssert(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseAssert(f *testing.F) {
	for _, s := range []string{"1700000000.123456789#42\n", "0.000000000#0\n", "-5.000000000#-1", "1.1#1", "", "#", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAssert(s)
		if err != nil {
			if a != (Assert{}) {
				t.Fatalf("error %v with a value %+v", err, a)
			}
			return
		}
		// A valid reading prints back as the kernel writes it.
		sec, nsec := int64(0), 0
		if !a.Time.IsZero() {
			sec, nsec = a.Time.Unix(), a.Time.Nanosecond()
		}
		back := fmt.Sprintf("%d.%09d#%d", sec, nsec, a.Sequence)
		b, err := ParseAssert(back)
		if err != nil || !b.Time.Equal(a.Time) || b.Sequence != a.Sequence {
			t.Fatalf("%q parsed to %+v, printed %q, reparsed %+v, %v", s, a, back, b, err)
		}
	})
}
