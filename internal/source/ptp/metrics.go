package ptp

import "github.com/ntphealth/ntphealth/internal/source"

// portStates are the values of ntphealth_ptp_port_state's state label, in
// IEEE 1588-2008 Table 8's order (GRAND_MASTER is linuxptp's own, which it
// reports as MASTER).
var portStates = []string{"INITIALIZING", "FAULTY", "DISABLED", "LISTENING", "PRE_MASTER", "MASTER", "PASSIVE", "UNCALIBRATED", "SLAVE", "GRAND_MASTER"}

var (
	descInfo = &source.Metric{
		Name:   "ntphealth_ptp_info",
		Help:   "ptp4l's port and clocks, as labels; always 1.",
		Labels: []string{"interface", "clock_identity", "gm_identity", "timestamping", "delay_mechanism"},
	}
	descPortState = &source.Metric{
		Name:   "ntphealth_ptp_port_state",
		Help:   "1 for the PTP port's current state (IEEE 1588-2008 9.2.5), 0 for the others.",
		Labels: []string{"state"},
	}
	descOffset = &source.Metric{
		Name: "ntphealth_ptp_offset_from_master_seconds",
		Help: "ptp4l's offsetFromMaster: this clock minus the master's (IEEE 1588-2008 11.2); only while the port follows a master.",
	}
	descPathDelay = &source.Metric{
		Name: "ntphealth_ptp_mean_path_delay_seconds",
		Help: "ptp4l's mean path delay to the master (peer delay with P2P); only while the port follows a master.",
	}
	descGMPresent = &source.Metric{
		Name: "ntphealth_ptp_gm_present",
		Help: "ptp4l's gmPresent (TIME_STATUS_NP): 1 when a grandmaster other than this clock is known. A slaveOnly port keeps it after losing its master: see ntphealth_ptp_port_state.",
	}
	descGMClass = &source.Metric{
		Name: "ntphealth_ptp_gm_clock_class",
		Help: "The grandmaster's clockClass (IEEE 1588-2008 Table 5): 6 locked to a primary reference, 7 holdover, 248 default, 255 slave-only.",
	}
	descClockClass = &source.Metric{
		Name: "ntphealth_ptp_clock_class",
		Help: "This clock's own clockClass (DEFAULT_DATA_SET).",
	}
	descStepsRemoved = &source.Metric{
		Name: "ntphealth_ptp_steps_removed",
		Help: "Clocks between this one and the grandmaster (CURRENT_DATA_SET).",
	}
)

// Collect sends the reading's metrics; none when ptp4l could not be read
// (ntphealth_probe_up says so).
func (r *Reading) Collect(gauge source.Emit) {
	if r.Error != "" {
		return
	}
	gauge(descInfo, 1, r.Interface, r.ClockIdentity, r.GMIdentity, r.Timestamping, r.DelayMechanism)
	for _, s := range portStates {
		gauge(descPortState, bool01(s == r.PortState), s)
	}
	if r.following() {
		gauge(descOffset, r.OffsetFromMasterSeconds)
		gauge(descPathDelay, r.MeanPathDelaySeconds)
	}
	gauge(descGMPresent, bool01(r.GMPresent))
	gauge(descGMClass, float64(r.GMClockClass))
	gauge(descClockClass, float64(r.ClockClass))
	gauge(descStepsRemoved, float64(r.StepsRemoved))
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
