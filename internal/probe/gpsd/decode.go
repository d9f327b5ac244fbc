package gpsd

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Message is one gpsd JSON report, the fields this probe uses of the classes
// VERSION, DEVICES, TPV, SKY, PPS, POLL and ERROR (gpsd_json(5)). Other
// classes decode with only Class set.
type Message struct {
	Class string `json:"class"`
	// VERSION: gpsd's release ("3.22").
	Release string `json:"release"`
	// DEVICES: the receivers gpsd reads.
	Devices []Device `json:"devices"`
	// TPV, SKY: the device the report is from.
	Device string `json:"device"`
	// TPV: fix mode (0 unknown, 1 no fix, 2 2D, 3 3D) and time of fix
	// (ISO 8601 UTC; absent without a fix).
	Mode int    `json:"mode"`
	Time string `json:"time"`
	// SKY: satellites used and seen (gpsd 3.22 sends uSat and nSat;
	// older releases only the satellites list).
	USat       *int        `json:"uSat"`
	NSat       *int        `json:"nSat"`
	Satellites []Satellite `json:"satellites"`
	// POLL: the last TPV and SKY of each active device.
	TPV []Message `json:"tpv"`
	SKY []Message `json:"sky"`
	// ERROR: gpsd's complaint.
	Message string `json:"message"`
}

// Device is one entry of a DEVICES report.
type Device struct {
	Path   string `json:"path"`
	Driver string `json:"driver"`
}

// Satellite is one entry of a SKY report's satellites list.
type Satellite struct {
	PRN  int  `json:"PRN"`
	Used bool `json:"used"`
}

// Decode reads one line of gpsd's JSON output.
func Decode(line []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(line, &m); err != nil {
		return Message{}, fmt.Errorf("decode gpsd report %q: %w", clip(line), err)
	}
	if m.Class == "" {
		return Message{}, fmt.Errorf("decode gpsd report %q: no class", clip(line))
	}
	return m, nil
}

// FixTime parses a TPV's time of fix; the zero time when it has none.
func (m Message) FixTime() (time.Time, error) {
	if m.Time == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, m.Time)
	if err != nil {
		return time.Time{}, fmt.Errorf("gpsd TPV time %q: %w", clip([]byte(m.Time)), err)
	}
	return t.UTC(), nil
}

// Used returns the satellites used and seen by a SKY report: uSat and nSat
// when gpsd sends them, else counted from the satellites list.
func (m Message) Used() (used, seen int) {
	for _, s := range m.Satellites {
		if s.Used {
			used++
		}
	}
	seen = len(m.Satellites)
	if m.USat != nil {
		used = *m.USat
	}
	if m.NSat != nil {
		seen = *m.NSat
	}
	return used, seen
}

var errNotGPSD = errors.New("the first line is not a gpsd VERSION report: is this gpsd's port (2947)?")

func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
