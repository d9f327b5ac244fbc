// Package kernel reads the kernel clock's state with adjtimex(2) in read-only
// mode (modes = 0), which needs no privilege and works whichever daemon (or
// none) disciplines the clock.
package kernel

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// Probe reads the kernel clock. It has no settings: adjtimex(2) is a local
// system call that does not block.
type Probe struct{}

// Observe reads adjtimex(2). It never fails: an error yields a Kernel with
// Error set.
func (Probe) Observe(ctx context.Context) *observe.Kernel {
	if err := ctx.Err(); err != nil {
		return &observe.Kernel{Error: fmt.Sprintf("kernel: adjtimex: %v", err)}
	}
	// Modes 0: read only (adjtimex(2)); the kernel changes nothing.
	tx := unix.Timex{Modes: 0}
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return &observe.Kernel{Error: fmt.Sprintf("kernel: adjtimex: %v (a seccomp filter or container may forbid it; disable the kernel probe with --kernel=false)", err)}
	}
	return Convert(&tx, state)
}

// statusBits names the timex.status bits (adjtimex(2), <linux/timex.h>).
var statusBits = []struct {
	bit  int32
	name string
}{
	{unix.STA_PLL, "PLL"},
	{unix.STA_PPSFREQ, "PPSFREQ"},
	{unix.STA_PPSTIME, "PPSTIME"},
	{unix.STA_FLL, "FLL"},
	{unix.STA_INS, "INS"},
	{unix.STA_DEL, "DEL"},
	{unix.STA_UNSYNC, "UNSYNC"},
	{unix.STA_FREQHOLD, "FREQHOLD"},
	{unix.STA_PPSSIGNAL, "PPSSIGNAL"},
	{unix.STA_PPSJITTER, "PPSJITTER"},
	{unix.STA_PPSWANDER, "PPSWANDER"},
	{unix.STA_PPSERROR, "PPSERROR"},
	{unix.STA_CLOCKERR, "CLOCKERR"},
	{unix.STA_NANO, "NANO"},
	{unix.STA_MODE, "MODE"},
	{unix.STA_CLK, "CLK"},
}

// stateNames are adjtimex's return values (adjtimex(2) RETURN VALUE).
var stateNames = map[int]string{
	unix.TIME_OK:    "TIME_OK",
	unix.TIME_INS:   "TIME_INS",
	unix.TIME_DEL:   "TIME_DEL",
	unix.TIME_OOP:   "TIME_OOP",
	unix.TIME_WAIT:  "TIME_WAIT",
	unix.TIME_ERROR: "TIME_ERROR",
}

// Convert turns a timex read by adjtimex(2) and its return value into a
// Kernel: maxerror and esterror are µs; offset is ns with STA_NANO, else µs;
// freq is ppm scaled by 2^16 (adjtimex(2)).
func Convert(tx *unix.Timex, state int) *observe.Kernel {
	status := int32(tx.Status)
	k := &observe.Kernel{
		State:        state,
		StateName:    stateNames[state],
		Status:       uint32(status),
		Flags:        []string{},
		Unsync:       status&unix.STA_UNSYNC != 0,
		PPSSignal:    status&unix.STA_PPSSIGNAL != 0,
		PPSJitter:    status&unix.STA_PPSJITTER != 0,
		PPSWander:    status&unix.STA_PPSWANDER != 0,
		PPSError:     status&unix.STA_PPSERROR != 0,
		MaxError:     float64(int64(tx.Maxerror)) / 1e6,
		EstError:     float64(int64(tx.Esterror)) / 1e6,
		Frequency:    float64(int64(tx.Freq)) / (1 << 16),
		TimeConstant: int64(tx.Constant),
		TAI:          int(tx.Tai),
	}
	if k.StateName == "" {
		k.StateName = fmt.Sprintf("state %d", state)
	}
	if status&unix.STA_NANO != 0 {
		k.Offset = float64(int64(tx.Offset)) / 1e9
	} else {
		k.Offset = float64(int64(tx.Offset)) / 1e6
	}
	for _, b := range statusBits {
		if status&b.bit != 0 {
			k.Flags = append(k.Flags, b.name)
		}
	}
	if unknown := uint32(status) &^ knownBits(); unknown != 0 {
		k.Flags = append(k.Flags, fmt.Sprintf("0x%x", unknown))
	}
	return k
}

func knownBits() uint32 {
	var m uint32
	for _, b := range statusBits {
		m |= uint32(b.bit)
	}
	return m
}
