package health

import (
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
)

func TestPPSChecks(t *testing.T) {
	pulse := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		o      observe.PPS
		status Status
		msg    string
	}{
		{name: "pulsing", o: observe.PPS{Device: "pps0", AssertTime: pulse, Sequence: 42, GapSeconds: 0.4, Advanced: true},
			status: OK, msg: "PPS pulses arriving on pps0"},
		{name: "gap too long", o: observe.PPS{Device: "pps0", AssertTime: pulse, Sequence: 42, GapSeconds: 7.2},
			status: Critical, msg: "no PPS pulse for 7.2 s"},
		{name: "gap just within", o: observe.PPS{Device: "pps0", AssertTime: pulse, Sequence: 42, GapSeconds: 1.9, Advanced: true},
			status: OK},
		{name: "sequence stuck", o: observe.PPS{Device: "pps0", AssertTime: pulse, Sequence: 42, GapSeconds: 0.5, UnchangedSeconds: 1.1},
			status: Critical, msg: "stuck at 42 for 1.1 s"},
		{name: "not compared yet", o: observe.PPS{Device: "pps0", AssertTime: pulse, Sequence: 42, GapSeconds: 0.5},
			status: OK},
		{name: "never pulsed", o: observe.PPS{Device: "pps1"}, status: Critical, msg: "no PPS pulse ever seen on pps1"},
		{name: "missing", o: observe.PPS{Device: "pps3", Path: "/sys/class/pps/pps3/assert", Missing: true, Error: "x"},
			status: Critical, msg: "/sys/class/pps/pps3/assert does not exist"},
		{name: "garbled", o: observe.PPS{Device: "pps0", Error: "pps: bad sequence number"},
			status: Critical, msg: "unreadable: pps: bad sequence"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := PPSChecks(&tc.o, DefaultPPSPolicy())
			if len(cs) != 1 || cs[0].Name != "pps_pulses" {
				t.Fatalf("checks %+v", cs)
			}
			if cs[0].Status != tc.status || !strings.Contains(cs[0].Message, tc.msg) {
				t.Errorf("got %v %q, want %v containing %q", cs[0].Status, cs[0].Message, tc.status, tc.msg)
			}
		})
	}
	if PPSChecks(nil, DefaultPPSPolicy()) != nil {
		t.Fatal("nil pps gave checks")
	}
}
