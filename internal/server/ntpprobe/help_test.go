package ntpprobe

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/probe/ntpclient/ntptest"
)

// TestOffsetHelpSaysWhichClockIsAhead: the HELP of ntp_offset_seconds
// states the sign in words, and the value follows it for a server ahead of
// this host (positive: local clock behind) and one behind (negative).
func TestOffsetHelpSaysWhichClockIsAhead(t *testing.T) {
	for _, c := range []struct {
		name   string
		offset time.Duration
		sign   float64
	}{{"server ahead", 300 * time.Millisecond, +1}, {"server behind", -300 * time.Millisecond, -1}} {
		t.Run(c.name, func(t *testing.T) {
			srv := ntptest.Start(t, ntptest.Reply{Stratum: 2, RefID: "192.0.2.1", ClockOffset: c.offset})
			s := newServer(t, Options{})
			_, body := get(t, s, "?target="+srv.Addr(), nil)
			const help = "# HELP ntp_offset_seconds Offset of the local clock against the server, seconds (RFC 5905 theta): positive when the local clock is behind the server, negative when it is ahead."
			if !strings.Contains(body, help+"\n") {
				t.Errorf("HELP does not say which clock is ahead; want %q in:\n%s", help, body)
			}
			v := sampleOf(t, body, "ntp_offset_seconds")
			if v*c.sign < 0.25 || v*c.sign > 0.35 {
				t.Errorf("ntp_offset_seconds %v, want %+.1f ± 0.05", v, c.sign*0.3)
			}
		})
	}
}

// sampleOf parses the value of the unlabelled sample name in an exposition.
func sampleOf(t *testing.T, body, name string) float64 {
	t.Helper()
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return f
		}
	}
	t.Fatalf("no %s sample in:\n%s", name, body)
	return 0
}
