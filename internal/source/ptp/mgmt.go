package ptp

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/facebook/time/ptp/protocol"

	"github.com/ntphealth/ntphealth/internal/probe/deadline"
)

// snapshot is what ptp4l answered in one exchange.
type snapshot struct {
	dds   *protocol.DefaultDataSetTLV
	cds   *protocol.CurrentDataSetTLV
	pds   *protocol.ParentDataSetTLV
	tsn   *protocol.TimeStatusNPTLV
	port  *portDataSetTLV
	props *protocol.PortPropertiesNPTLV
}

// stepError names the request (or socket step) that failed.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// clientSeq makes the client socket names of one process distinct.
var clientSeq atomic.Uint64

// clientPath is where our end of the exchange is bound. ptp4l answers a
// management message by sendto(2) to its sender's address (linuxptp
// uds.c), so the client needs a name; ptp4l's own directory is root's, so
// it goes in TMPDIR.
func clientPath() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("ntphealth-ptp.%d.%d", os.Getpid(), clientSeq.Add(1)))
}

// query asks ptp4l at path for its data sets, every step within ctx.
func query(ctx context.Context, path string, domain uint8) (*snapshot, error) {
	local := clientPath()
	os.Remove(local) // a leftover of a dead process that had our pid
	conn, err := net.DialUnix("unixgram",
		&net.UnixAddr{Name: local, Net: "unixgram"},
		&net.UnixAddr{Name: path, Net: "unixgram"})
	// The bind made a file even when the connect then failed.
	defer os.Remove(local)
	if err != nil {
		return nil, &stepError{step: "connect", err: err}
	}
	defer conn.Close()
	stop, err := deadline.Bind(ctx, conn)
	defer stop()
	if err != nil {
		return nil, &stepError{step: "connect", err: err}
	}

	c := &protocol.MgmtClient{Connection: &replies{conn: conn}, DomainNumber: domain}
	var s snapshot
	// The port-level requests come last: ptp4l answers them once per port
	// (clock.c clock_manage), and replies drops the extra answers.
	steps := []struct {
		name string
		do   func() error
	}{
		{"DEFAULT_DATA_SET", func() (err error) { s.dds, err = c.DefaultDataSet(); return err }},
		{"CURRENT_DATA_SET", func() (err error) { s.cds, err = c.CurrentDataSet(); return err }},
		{"PARENT_DATA_SET", func() (err error) { s.pds, err = c.ParentDataSet(); return err }},
		{"TIME_STATUS_NP", func() (err error) { s.tsn, err = c.TimeStatusNP(); return err }},
		{"PORT_DATA_SET", func() (err error) { s.port, err = portDataSet(c); return err }},
		{"PORT_PROPERTIES_NP", func() (err error) { s.props, err = c.PortPropertiesNP(); return err }},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			return nil, &stepError{step: st.name + " request", err: err}
		}
	}
	return &s, nil
}

// sequenceOffset is where a PTP header holds sequenceId (IEEE 1588-2008
// 13.3.1, Table 18: octet 30, two octets).
const sequenceOffset = 30

// replies hands MgmtClient only the datagrams that answer its last
// request: a clock with several ports answers a port-level GET once per
// port, and the later answers would otherwise be read as the answer to
// the next request. ptp4l copies the request's sequenceId into its reply
// (port.c port_management_reply).
type replies struct {
	conn net.Conn
	seq  uint16
}

func (r *replies) Write(b []byte) (int, error) {
	if len(b) >= sequenceOffset+2 {
		r.seq = binary.BigEndian.Uint16(b[sequenceOffset:])
	}
	return r.conn.Write(b)
}

func (r *replies) Read(b []byte) (int, error) {
	for {
		n, err := r.conn.Read(b)
		if err != nil || n < sequenceOffset+2 || binary.BigEndian.Uint16(b[sequenceOffset:]) == r.seq {
			return n, err
		}
	}
}

// unexpectedTLV is the error for an answer of the wrong kind.
func unexpectedTLV(tlv protocol.ManagementTLV) error {
	return fmt.Errorf("got unexpected management TLV %T", tlv)
}
