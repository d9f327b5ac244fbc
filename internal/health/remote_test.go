package health

import (
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// goodRemote is a healthy stratum-1 server 0.2 ms away.
func goodRemote() observe.Remote {
	return observe.Remote{
		Target: "ntp1.example", Address: "192.0.2.1:123",
		SamplesSent: 4, SamplesAnswered: 4, SamplesUsable: 4,
		Offset: 0.0001, RTT: 0.0002, Stratum: 1, Leap: observe.LeapNone, RefID: "PPS",
		RootDelay: 0, RootDispersion: 0.00001, RootDistance: 0.00011,
	}
}

func TestRemoteChecks(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(r *observe.Remote)
		policy func(p *RemotePolicy)
		want   map[string]Status // checks not listed must be OK
		names  []string          // exact check names, in order, when set
		msg    map[string]string // substring each named check's message must hold
	}{
		{
			name:  "good server",
			names: []string{"reachable", "synchronized", "free_running", "offset", "max_error", "stratum", "leap"},
			msg:   map[string]string{"reachable": "answered 4 of 4", "synchronized": "stratum 1, reference PPS"},
		},
		{
			name: "no answer: only reachable",
			edit: func(r *observe.Remote) {
				*r = observe.Remote{Target: "ntp1.example", Error: "no answer from 192.0.2.1:123 in 2s"}
			},
			want:  map[string]Status{"reachable": Critical},
			names: []string{"reachable"},
			msg:   map[string]string{"reachable": "no answer"},
		},
		{
			name: "offset above warn",
			edit: func(r *observe.Remote) { r.Offset = 0.02 },
			want: map[string]Status{"offset": Warning},
			msg:  map[string]string{"offset": "local clock 20.0 ms behind ntp1.example"},
		},
		{
			name: "offset below -crit",
			edit: func(r *observe.Remote) { r.Offset = -0.2; r.RootDistance = 0.0001 },
			want: map[string]Status{"offset": Critical, "max_error": Warning},
			msg:  map[string]string{"offset": "above the 100 ms limit"},
		},
		{
			name: "root distance too large",
			edit: func(r *observe.Remote) { r.RootDistance = 1.5 },
			want: map[string]Status{"max_error": Critical},
		},
		{
			name: "stratum 16, leap unsynchronised",
			edit: func(r *observe.Remote) {
				r.Stratum, r.Leap, r.RefID, r.ValidateError = 16, observe.LeapNotInSync, "494E4954", "stratum 16"
			},
			want: map[string]Status{"synchronized": Critical},
			msg:  map[string]string{"synchronized": "leap indicator 3", "leap": "unknown"},
		},
		{
			name: "stratum 0 from an unsynchronised chronyd",
			edit: func(r *observe.Remote) { r.Stratum, r.RefID = 0, "00000000" },
			want: map[string]Status{"synchronized": Critical},
			msg:  map[string]string{"synchronized": "stratum 0"},
		},
		{
			name: "reply fails Validate",
			edit: func(r *observe.Remote) { r.ValidateError = "reference time older than 36 h" },
			want: map[string]Status{"synchronized": Critical},
			msg:  map[string]string{"synchronized": "older than 36 h"},
		},
		{
			name: "kiss-o'-death DENY, nothing measured",
			edit: func(r *observe.Remote) {
				*r = observe.Remote{Target: "ntp1.example", Address: "192.0.2.1:123",
					SamplesSent: 1, SamplesAnswered: 1, KissCode: "DENY"}
			},
			want:  map[string]Status{"synchronized": Critical},
			names: []string{"reachable", "synchronized"},
			msg:   map[string]string{"synchronized": "DENY (access denied"},
		},
		{
			name: "kiss-o'-death RATE after good samples",
			edit: func(r *observe.Remote) { r.SamplesAnswered, r.SamplesUsable, r.KissCode = 3, 2, "RATE" },
			want: map[string]Status{"reachable": Warning},
			msg:  map[string]string{"reachable": "query it less often"},
		},
		{
			name: "free-running chronyd local stratum",
			edit: func(r *observe.Remote) { r.Stratum, r.RefID, r.RefName = 2, "7F7F0101", "127.127.1.1" },
			want: map[string]Status{"free_running": Critical},
			msg:  map[string]string{"free_running": "7F7F0101 (127.127.1.1)"},
		},
		{
			name: "free-running ntpd local driver as served (ntpsec 1.2.2)",
			edit: func(r *observe.Remote) { r.Stratum, r.RefID, r.RefName = 11, "7F7F0100", "127.127.1.0" },
			want: map[string]Status{"free_running": Critical, "stratum": Warning},
		},
		{
			name:   "free-running ntpd LOCL, policy says warning",
			edit:   func(r *observe.Remote) { r.Stratum, r.RefID = 10, "LOCL" },
			policy: func(p *RemotePolicy) { p.FreeRunning = Warning },
			want:   map[string]Status{"free_running": Warning, "stratum": Warning},
		},
		{
			name: "stratum above limit",
			edit: func(r *observe.Remote) { r.Stratum, r.RefID = 7, "C0000201" },
			want: map[string]Status{"stratum": Warning},
		},
		{
			name:   "stratum limit off",
			edit:   func(r *observe.Remote) { r.Stratum = 15 },
			policy: func(p *RemotePolicy) { p.StratumWarn = 0 },
		},
		{
			name: "leap second announced: informational by default",
			edit: func(r *observe.Remote) { r.Leap = observe.LeapInsert },
			msg:  map[string]string{"leap": "insert second"},
		},
		{
			name:   "leap second announced, policy says warning",
			edit:   func(r *observe.Remote) { r.Leap = observe.LeapDelete },
			policy: func(p *RemotePolicy) { p.LeapPending = Warning },
			want:   map[string]Status{"leap": Warning},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRemote()
			if tt.edit != nil {
				tt.edit(&r)
			}
			p := DefaultRemotePolicy()
			if tt.policy != nil {
				tt.policy(&p)
			}
			checks := RemoteChecks(&r, p)
			if tt.names != nil {
				var got []string
				for _, c := range checks {
					got = append(got, c.Name)
				}
				if strings.Join(got, ",") != strings.Join(tt.names, ",") {
					t.Errorf("checks %v, want %v", got, tt.names)
				}
			}
			seen := map[string]bool{}
			for _, c := range checks {
				seen[c.Name] = true
				want, ok := tt.want[c.Name]
				if !ok {
					want = OK
				}
				if c.Status != want {
					t.Errorf("%s: %v (%s), want %v", c.Name, c.Status, c.Message, want)
				}
				if c.Message == "" {
					t.Errorf("%s: empty message", c.Name)
				}
				if s, ok := tt.msg[c.Name]; ok && !strings.Contains(c.Message, s) {
					t.Errorf("%s: message %q, want it to contain %q", c.Name, c.Message, s)
				}
			}
			for name := range tt.want {
				if !seen[name] {
					t.Errorf("check %s missing", name)
				}
			}
		})
	}
}

func TestRemoteChecksNil(t *testing.T) {
	if c := RemoteChecks(nil, DefaultRemotePolicy()); c != nil {
		t.Errorf("got %v for nil", c)
	}
}

func TestRemoteMeasurementValues(t *testing.T) {
	r := goodRemote()
	r.Offset, r.RootDistance = -0.003, 0.004
	for _, c := range RemoteChecks(&r, DefaultRemotePolicy()) {
		switch c.Name {
		case "offset":
			if *c.Value != 0.003 || *c.Warn != 0.01 || *c.Crit != 0.1 || c.Unit != "s" {
				t.Errorf("offset value %v warn %v crit %v", *c.Value, *c.Warn, *c.Crit)
			}
		case "max_error":
			if *c.Value != 0.007 {
				t.Errorf("max_error %v, want |offset| + root distance = 0.007", *c.Value)
			}
		}
	}
}
