package ptp

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/health"
)

// locked is a slave locked to a clockClass 6 grandmaster, judged with the
// default limits (1 µs, 10 µs, 1 µs jump).
func locked() Reading {
	prev := 2.5e-6
	return Reading{
		Socket: DefaultSocket, Interface: "eth0", PortState: "SLAVE", Timestamping: "hardware", DelayMechanism: "E2E",
		AnnounceTimeoutSeconds: 6, ClockIdentity: "001122.fffe.334455", ClockClass: 255, SlaveOnly: true,
		GMPresent: true, GMIdentity: "aabbcc.fffe.ddeeff", GMClockClass: 6, StepsRemoved: 1,
		OffsetFromMasterSeconds: 12e-9, MeanPathDelaySeconds: 2.6e-6, PreviousMeanPathDelaySeconds: &prev,
		Limits: NewConfig().limits(),
	}
}

// grandmaster is this host serving as grandmaster with clockClass 6.
func grandmaster() Reading {
	r := locked()
	r.PortState, r.SlaveOnly, r.GMPresent = "MASTER", false, false
	r.ClockClass, r.GMClockClass, r.GMIdentity = 6, 6, r.ClockIdentity
	r.StepsRemoved, r.OffsetFromMasterSeconds, r.MeanPathDelaySeconds, r.PreviousMeanPathDelaySeconds = 0, 0, 0, nil
	r.Limits.Role = RoleMaster
	return r
}

// TestChecks: each check's verdict, in the order port state, gm present,
// offset, gm class, path delay.
func TestChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		r      func() Reading
		want   string // the five statuses
		inMsgs []string
	}{
		{"locked slave", locked, "OK OK OK OK OK", []string{"follows grandmaster aabbcc.fffe.ddeeff", "local clock 12.0 ns ahead of grandmaster aabbcc.fffe.ddeeff", "synchronized to a primary reference"}},

		// Offset: |offsetFromMaster| against 1 µs and 10 µs.
		{"offset 2 µs behind", func() Reading { r := locked(); r.OffsetFromMasterSeconds = -2e-6; return r }, "OK OK WARNING OK OK", []string{"2.0 µs behind grandmaster", "above the 1.0 µs limit"}},
		{"offset 20 µs ahead", func() Reading { r := locked(); r.OffsetFromMasterSeconds = 20e-6; return r }, "OK OK CRITICAL OK OK", []string{"20.0 µs ahead", "above the 10.0 µs limit"}},
		{"offset limits off", func() Reading {
			r := locked()
			r.OffsetFromMasterSeconds = 1
			r.Limits.OffsetWarn, r.Limits.OffsetCrit = 0, 0
			return r
		}, "OK OK OK OK OK", nil},

		// Port states of a slave.
		{"uncalibrated", func() Reading { r := locked(); r.PortState = "UNCALIBRATED"; return r }, "WARNING OK OK OK OK", []string{"servo is locking", "longer means the servo cannot lock", "(servo still locking)"}},
		{"initializing", func() Reading { r := locked(); r.PortState = "INITIALIZING"; return r }, "WARNING CRITICAL UNKNOWN UNKNOWN UNKNOWN", []string{"after ptp4l starts"}},
		{"listening after the grandmaster left", func() Reading { r := locked(); r.PortState = "LISTENING"; return r },
			"CRITICAL CRITICAL UNKNOWN UNKNOWN UNKNOWN", []string{"no master within the announce receipt timeout (6.0 s", "runs free", "still names the last one, aabbcc.fffe.ddeeff", "still reports the last, +12.0 ns"}},
		{"lone slave-only clock", func() Reading {
			r := locked()
			r.PortState, r.GMPresent, r.GMIdentity, r.GMClockClass = "LISTENING", false, r.ClockIdentity, 255
			return r
		}, "CRITICAL CRITICAL UNKNOWN CRITICAL UNKNOWN", []string{"knows no clock better than its own", "slave-only clock"}},
		{"faulty", func() Reading { r := locked(); r.PortState = "FAULTY"; return r }, "CRITICAL CRITICAL UNKNOWN UNKNOWN UNKNOWN", []string{"see its log"}},
		{"disabled", func() Reading { r := locked(); r.PortState = "DISABLED"; return r }, "CRITICAL CRITICAL UNKNOWN UNKNOWN UNKNOWN", nil},
		{"passive slave", func() Reading { r := locked(); r.PortState = "PASSIVE"; return r }, "CRITICAL OK UNKNOWN OK UNKNOWN", []string{"neither follows nor serves"}},
		{"unknown state", func() Reading { r := locked(); r.PortState = "UNKNOWN"; return r }, "CRITICAL OK UNKNOWN OK UNKNOWN", []string{"does not define"}},
		{"slave made itself grandmaster", func() Reading {
			r := grandmaster()
			r.Limits.Role, r.GMClockClass, r.ClockClass = RoleSlave, 248, 248
			return r
		}, "CRITICAL CRITICAL UNKNOWN CRITICAL UNKNOWN", []string{"hears none better than itself", "slaveOnly 1"}},

		// A grandmaster.
		{"grandmaster class 6", grandmaster, "OK OK OK OK OK", []string{"this host is the grandmaster (001122.fffe.334455)", "no offset from a master"}},
		{"grandmaster class 248", func() Reading { r := grandmaster(); r.GMClockClass, r.ClockClass = 248, 248; return r }, "OK OK OK CRITICAL OK", []string{"no reference time source declared", "set clockClass 6"}},
		{"grandmaster class 7", func() Reading { r := grandmaster(); r.GMClockClass = 7; return r }, "OK OK OK WARNING OK", []string{"holdover"}},
		{"grandmaster qualifying", func() Reading { r := grandmaster(); r.PortState = "PRE_MASTER"; return r }, "WARNING OK OK OK OK", []string{"qualification timeout"}},
		{"grandmaster listening", func() Reading { r := grandmaster(); r.PortState = "LISTENING"; return r }, "CRITICAL OK OK OK OK", []string{"serves no time"}},
		{"grandmaster role but follows another", func() Reading { r := locked(); r.Limits.Role = RoleMaster; return r }, "CRITICAL OK OK OK OK", []string{"should be the grandmaster", "priority1"}},
		{"grandmaster role following a class 248", func() Reading { r := locked(); r.Limits.Role, r.GMClockClass = RoleMaster, 248; return r }, "CRITICAL OK OK CRITICAL OK", nil},

		// Role any: whatever the BMCA decides.
		{"any as slave", func() Reading { r := locked(); r.Limits.Role = RoleAny; return r }, "OK OK OK OK OK", nil},
		{"any as grandmaster", func() Reading { r := grandmaster(); r.Limits.Role = RoleAny; return r }, "OK OK OK OK OK", nil},
		{"any passive", func() Reading { r := locked(); r.Limits.Role, r.PortState = RoleAny, "PASSIVE"; return r }, "OK OK UNKNOWN OK UNKNOWN", nil},

		// Grandmaster classes seen by a slave (IEEE 1588-2008 Table 5).
		{"class 13 ARB", func() Reading { r := locked(); r.GMClockClass = 13; return r }, "OK OK OK OK OK", []string{"ARB"}},
		{"class 7 holdover", func() Reading { r := locked(); r.GMClockClass = 7; return r }, "OK OK OK WARNING OK", []string{"announces clockClass 7", "holdover"}},
		{"class 14 holdover", func() Reading { r := locked(); r.GMClockClass = 14; return r }, "OK OK OK WARNING OK", nil},
		{"class 52 degraded", func() Reading { r := locked(); r.GMClockClass = 52; return r }, "OK OK OK WARNING OK", []string{"degraded"}},
		{"class 187 degraded", func() Reading { r := locked(); r.GMClockClass = 187; return r }, "OK OK OK WARNING OK", []string{"degraded"}},
		{"class 248 for a slave", func() Reading { r := locked(); r.GMClockClass = 248; return r }, "OK OK OK WARNING OK", []string{"only as good as the grandmaster's own clock"}},
		{"class 255 as grandmaster", func() Reading { r := locked(); r.GMClockClass = 255; return r }, "OK OK OK CRITICAL OK", nil},
		{"class 150 of a profile", func() Reading { r := locked(); r.GMClockClass = 150; return r }, "OK OK OK WARNING OK", []string{"alternate PTP profile"}},
		{"class 0 reserved", func() Reading { r := locked(); r.GMClockClass = 0; return r }, "OK OK OK WARNING OK", []string{"reserved"}},

		// Path delay between rounds.
		{"path delay jump", func() Reading { r := locked(); r.MeanPathDelaySeconds = 7.6e-6; return r }, "OK OK OK OK WARNING", []string{"jumped from 2.5 µs to 7.6 µs (+5.1 µs)", "above the 1.0 µs limit", "symmetric path"}},
		{"path delay drop", func() Reading { r := locked(); r.MeanPathDelaySeconds = 1e-6; return r }, "OK OK OK OK WARNING", []string{"(-1.5 µs)"}},
		{"first round", func() Reading { r := locked(); r.PreviousMeanPathDelaySeconds = nil; return r }, "OK OK OK OK OK", []string{"no earlier reading"}},
		{"jump check off", func() Reading { r := locked(); r.MeanPathDelaySeconds, r.Limits.PathDelayJump = 1, 0; return r }, "OK OK OK OK OK", []string{"path_delay_jump 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r()
			before := r
			checks := r.Checks()
			var got []string
			var msgs strings.Builder
			for _, c := range checks {
				got = append(got, c.Status.String())
				msgs.WriteString(c.Name + " " + c.Status.String() + ": " + c.Message + "\n")
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("statuses %s, want %s\n%s", strings.Join(got, " "), tc.want, msgs.String())
			}
			names := []string{CheckPortState, CheckGMPresent, CheckOffset, CheckGMClass, CheckPathDelay}
			for i, c := range checks {
				if i < len(names) && c.Name != names[i] {
					t.Errorf("check %d is %s, want %s", i, c.Name, names[i])
				}
			}
			for _, w := range tc.inMsgs {
				if !strings.Contains(msgs.String(), w) {
					t.Errorf("no message says %q:\n%s", w, msgs.String())
				}
			}
			if !reflect.DeepEqual(r, before) || !reflect.DeepEqual(r.Checks(), checks) {
				t.Error("Checks is not pure")
			}
		})
	}
}

// TestChecksUnreachable: a ptp4l that cannot be read gives one CRITICAL
// ptp_port_state that names the socket and the error.
func TestChecksUnreachable(t *testing.T) {
	r := Reading{Socket: DefaultSocket, Error: "no socket at /var/run/ptp4l: is ptp4l running?"}
	checks := r.Checks()
	if len(checks) != 1 || checks[0].Name != CheckPortState || checks[0].Status != health.Critical ||
		checks[0].Message != "ptp4l at /var/run/ptp4l not reachable: no socket at /var/run/ptp4l: is ptp4l running?" {
		t.Errorf("%+v", checks)
	}
}

// TestChecksValues: the measurements carry value, unit and limits for
// Nagios perfdata.
func TestChecksValues(t *testing.T) {
	r := locked()
	r.OffsetFromMasterSeconds = -3e-6
	for _, c := range r.Checks() {
		switch c.Name {
		case CheckOffset:
			if c.Value == nil || !near(*c.Value, 3e-6) || c.Unit != "s" || !near(*c.Warn, 1e-6) || !near(*c.Crit, 10e-6) {
				t.Errorf("%s: %+v", c.Name, c)
			}
		case CheckGMClass:
			if c.Value == nil || *c.Value != 6 || c.Unit != "class" {
				t.Errorf("%s: %+v", c.Name, c)
			}
		case CheckPathDelay:
			if c.Value == nil || !near(*c.Value, 0.1e-6) || c.Warn == nil || !near(*c.Warn, 1e-6) || c.Crit != nil {
				t.Errorf("%s: %+v", c.Name, c)
			}
		}
	}
}
