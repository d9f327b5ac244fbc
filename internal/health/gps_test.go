package health

import (
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/observe"
)

func TestGPSChecks(t *testing.T) {
	good := observe.GPS{Address: "127.0.0.1:2947", Devices: []string{"/dev/ttyAMA0"}, Mode: 3,
		TPVAgeSeconds: ptr(0.6), Fresh: true, WatchSeconds: 1, SatellitesUsed: intp(9), SatellitesSeen: intp(12)}
	with := func(f func(*observe.GPS)) observe.GPS { g := good; f(&g); return g }
	type want struct {
		status Status
		msg    string
	}
	tests := []struct {
		name             string
		g                observe.GPS
		policy           func(*GPSPolicy)
		fix, sats, stale want
	}{
		{name: "3D fix", g: good, fix: want{OK, "3D fix"}, sats: want{OK, "9 satellites used, 12 seen"}, stale: want{OK, "0.6 s old"}},
		{name: "2D only", g: with(func(g *observe.GPS) { g.Mode = 2 }),
			fix: want{Critical, "no 3D fix (2D)"}, sats: want{OK, ""}, stale: want{OK, ""}},
		{name: "2D allowed", g: with(func(g *observe.GPS) { g.Mode = 2 }), policy: func(p *GPSPolicy) { p.MinMode = 2 },
			fix: want{OK, "2D fix"}, sats: want{OK, ""}, stale: want{OK, ""}},
		{name: "fix lost", g: with(func(g *observe.GPS) { g.Mode, g.SatellitesUsed, g.TPVAgeSeconds = 1, intp(0), nil }),
			fix: want{Critical, "no 3D fix (no fix)"}, sats: want{Warning, "fewer than the 4 required"}, stale: want{OK, "no time of fix yet"}},
		{name: "few satellites", g: with(func(g *observe.GPS) { g.SatellitesUsed = intp(3) }),
			fix: want{OK, ""}, sats: want{Warning, "3 satellites used"}, stale: want{OK, ""}},
		{name: "no SKY", g: with(func(g *observe.GPS) { g.SatellitesUsed, g.SatellitesSeen = nil, nil }),
			fix: want{OK, ""}, sats: want{Warning, "no satellite report"}, stale: want{OK, ""}},
		{name: "stale", g: with(func(g *observe.GPS) { g.TPVAgeSeconds, g.Fresh = ptr(40), false }),
			fix: want{OK, ""}, sats: want{OK, ""}, stale: want{Critical, "last position report 40 s old, more than 5 s"}},
		{name: "silent without time", g: with(func(g *observe.GPS) { g.Mode, g.TPVAgeSeconds, g.Fresh, g.WatchSeconds = 1, nil, false, 1.5 }),
			fix: want{Critical, ""}, sats: want{OK, ""}, stale: want{Critical, "no report from the receiver in 1.5 s"}},
		{name: "no receiver", g: with(func(g *observe.GPS) { g.Devices, g.Mode = nil, 0 }),
			fix: want{Critical, "has no receiver"}, sats: want{OK, ""}, stale: want{OK, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultGPSPolicy()
			if tc.policy != nil {
				tc.policy(&p)
			}
			cs := GPSChecks(&tc.g, p)
			if len(cs) != 3 {
				t.Fatalf("checks %+v", cs)
			}
			for i, w := range []want{tc.fix, tc.sats, tc.stale} {
				name := []string{"gps_fix", "gps_satellites", "gps_stale"}[i]
				c := cs[i]
				if c.Name != name || c.Status != w.status || !strings.Contains(c.Message, w.msg) {
					t.Errorf("%s: got %s %v %q, want %v containing %q", name, c.Name, c.Status, c.Message, w.status, w.msg)
				}
			}
		})
	}
}

func TestGPSChecksUnreachable(t *testing.T) {
	cs := GPSChecks(&observe.GPS{Address: "127.0.0.1:2947", Error: "connection refused"}, DefaultGPSPolicy())
	if len(cs) != 1 || cs[0].Name != "gps_fix" || cs[0].Status != Critical ||
		!strings.Contains(cs[0].Message, "gpsd not reachable at 127.0.0.1:2947: connection refused") {
		t.Fatalf("checks %+v", cs)
	}
	if GPSChecks(nil, DefaultGPSPolicy()) != nil {
		t.Fatal("nil gps gave checks")
	}
}

func intp(i int) *int { return &i }
