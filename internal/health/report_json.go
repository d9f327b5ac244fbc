package health

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalJSON writes the report with each pluggable source's reading as a
// key of its own ("ptp": {...}), beside "daemon", "gps" and the others.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report // without this method
	b, err := json.Marshal(plain(r))
	if err != nil || len(r.Readings) == 0 {
		return b, err
	}
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1]) // all but the closing brace
	for _, rd := range r.Readings {
		v, err := json.Marshal(rd.Data)
		if err != nil {
			return nil, fmt.Errorf("%s reading: %w", rd.Name, err)
		}
		name, _ := json.Marshal(rd.Name)
		buf.WriteByte(',')
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
