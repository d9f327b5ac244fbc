package kernel

import (
	"context"
	"math"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// TestObserveReal reads this machine's kernel clock: modes 0 needs no
// privilege and changes nothing.
func TestObserveReal(t *testing.T) {
	k := Probe{}.Observe(context.Background())
	if k.Error != "" {
		t.Fatalf("adjtimex: %s", k.Error)
	}
	if k.StateName == "" || k.State < 0 || k.State > unix.TIME_ERROR {
		t.Errorf("state %d %q out of range", k.State, k.StateName)
	}
	// The kernel caps maxerror at NTP_PHASE_LIMIT (16 s) and the frequency
	// at MAXFREQ (500 ppm) (kernel/time/ntp.c).
	if k.MaxError < 0 || k.MaxError > 16.5 {
		t.Errorf("maxerror %g s out of [0, 16] s", k.MaxError)
	}
	if math.Abs(k.Frequency) > 500 {
		t.Errorf("frequency %g ppm beyond ±500 ppm", k.Frequency)
	}
	if k.Unsync != slices.Contains(k.Flags, "UNSYNC") {
		t.Errorf("Unsync %v but flags %v", k.Unsync, k.Flags)
	}
	t.Logf("kernel: %s flags=%v maxerror=%gs esterror=%gs offset=%gs freq=%.3fppm",
		k.StateName, k.Flags, k.MaxError, k.EstError, k.Offset, k.Frequency)
}

func TestObserveCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if k := (Probe{}).Observe(ctx); k.Error == "" {
		t.Fatal("a cancelled context gave no error")
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name   string
		tx     unix.Timex
		state  int
		offset float64
		flags  []string
		unsync bool
		pps    [4]bool
	}{
		{
			name:   "synced, microseconds",
			tx:     unix.Timex{Offset: -250, Freq: -1234567, Maxerror: 12500, Esterror: 40, Status: unix.STA_PLL, Constant: 7, Tai: 37},
			state:  unix.TIME_OK,
			offset: -250e-6,
			flags:  []string{"PLL"},
		},
		{
			name:   "nanoseconds and PPS trouble",
			tx:     unix.Timex{Offset: 1500, Maxerror: 16000000, Status: unix.STA_NANO | unix.STA_PPSSIGNAL | unix.STA_PPSJITTER | unix.STA_PPSWANDER | unix.STA_PPSERROR | unix.STA_UNSYNC},
			state:  unix.TIME_ERROR,
			offset: 1.5e-6,
			flags:  []string{"UNSYNC", "PPSSIGNAL", "PPSJITTER", "PPSWANDER", "PPSERROR", "NANO"},
			unsync: true,
			pps:    [4]bool{true, true, true, true},
		},
		{
			name:  "unknown bit",
			tx:    unix.Timex{Status: 0x10000},
			state: 42,
			flags: []string{"0x10000"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := Convert(&tc.tx, tc.state)
			if math.Abs(k.Offset-tc.offset) > 1e-15 {
				t.Errorf("offset %g, want %g", k.Offset, tc.offset)
			}
			if !slices.Equal(k.Flags, tc.flags) {
				t.Errorf("flags %v, want %v", k.Flags, tc.flags)
			}
			if k.Unsync != tc.unsync {
				t.Errorf("unsync %v, want %v", k.Unsync, tc.unsync)
			}
			if got := [4]bool{k.PPSSignal, k.PPSJitter, k.PPSWander, k.PPSError}; got != tc.pps {
				t.Errorf("pps bits %v, want %v", got, tc.pps)
			}
			if want := float64(tc.tx.Maxerror) / 1e6; k.MaxError != want {
				t.Errorf("maxerror %g, want %g", k.MaxError, want)
			}
			if want := float64(tc.tx.Esterror) / 1e6; k.EstError != want {
				t.Errorf("esterror %g, want %g", k.EstError, want)
			}
			if want := float64(tc.tx.Freq) / 65536; k.Frequency != want {
				t.Errorf("frequency %g, want %g", k.Frequency, want)
			}
			if k.TAI != int(tc.tx.Tai) || k.TimeConstant != int64(tc.tx.Constant) {
				t.Errorf("tai %d constant %d", k.TAI, k.TimeConstant)
			}
		})
	}
	if k := Convert(&unix.Timex{}, unix.TIME_ERROR); k.StateName != "TIME_ERROR" {
		t.Errorf("state name %q", k.StateName)
	}
	if k := Convert(&unix.Timex{}, 42); k.StateName != "state 42" {
		t.Errorf("state name %q", k.StateName)
	}
}
