// Package ptp is the PTP source: it reads ptp4l (linuxptp) through its
// management socket (ptp4l's uds_address, /var/run/ptp4l by default) and
// judges the port state, the grandmaster, the offset from the master and
// the path delay.
//
// It plugs in through the registry of internal/source: config.go is the
// "ptp:" section and --ptp, probe.go asks ptp4l, reading.go is what it
// saw, checks.go judges it, metrics.go exports it.
package ptp

import "github.com/ntphealth/ntphealth/internal/source"

// Name is the source's config key, flag and JSON key.
const Name = "ptp"

func init() {
	source.Register(source.Source{
		Name:      Name,
		FlagUsage: "ptp4l management socket `PATH` (ptp4l's uds_address; default " + DefaultSocket + " when it exists); \"off\" disables (config ptp.socket)",
		NewConfig: func() source.Config { return NewConfig() },
	})
}
