package ptp

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/facebook/time/ptp/protocol"
)

// fakePTP4L is a unixgram server standing for ptp4l's management socket:
// answer says what to send back to each request (nothing, garbage, or
// management messages).
type fakePTP4L struct {
	path string
	conn *net.UnixConn
	wg   sync.WaitGroup
}

func newFake(t *testing.T, answer func(req []byte) [][]byte) *fakePTP4L {
	t.Helper()
	f := &fakePTP4L{path: filepath.Join(sockDir(t), "ptp4l")}
	var err error
	if f.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: f.path, Net: "unixgram"}); err != nil {
		t.Fatal(err)
	}
	f.wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := f.conn.ReadFromUnix(buf)
			if err != nil {
				return // closed
			}
			for _, b := range answer(buf[:n]) {
				f.conn.WriteToUnix(b, from)
			}
		}
	})
	t.Cleanup(func() { f.conn.Close(); f.wg.Wait() })
	return f
}

// requestID and requestSeq read a management request: its managementId
// follows the message head (48 octets) and the TLV's type and length.
func requestID(req []byte) protocol.ManagementID {
	if len(req) < 54 {
		return 0
	}
	return protocol.ManagementID(binary.BigEndian.Uint16(req[52:]))
}

func requestSeq(req []byte) uint16 { return binary.BigEndian.Uint16(req[sequenceOffset:]) }

// reply wraps tlv in a RESPONSE to a request with sequence seq.
func reply(t *testing.T, seq uint16, tlv protocol.ManagementTLV) []byte {
	t.Helper()
	m := &protocol.Management{
		ManagementMsgHead: protocol.ManagementMsgHead{
			Header: protocol.Header{
				SdoIDAndMsgType: protocol.NewSdoIDAndMsgType(protocol.MessageManagement, 0),
				Version:         protocol.Version,
				SequenceID:      seq,
			},
			ActionField: protocol.RESPONSE,
		},
		TLV: tlv,
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// refusal is a MANAGEMENT_ERROR_STATUS answer (IEEE 1588-2008 15.5.4).
func refusal(t *testing.T, seq uint16, id protocol.ManagementID, e protocol.ManagementErrorID) []byte {
	t.Helper()
	m := &protocol.ManagementMsgErrorStatus{
		ManagementMsgHead: protocol.ManagementMsgHead{
			Header:      protocol.Header{SdoIDAndMsgType: protocol.NewSdoIDAndMsgType(protocol.MessageManagement, 0), Version: protocol.Version, SequenceID: seq},
			ActionField: protocol.RESPONSE,
		},
		ManagementErrorStatusTLV: protocol.ManagementErrorStatusTLV{
			TLVHead:           protocol.TLVHead{TLVType: protocol.TLVManagementErrorStatus, LengthField: 8},
			ManagementErrorID: e,
			ManagementID:      id,
		},
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// fakeState is what a fake ptp4l reports: a slave on eth0, locked to a
// clockClass 6 grandmaster one step away.
type fakeState struct {
	mu           sync.Mutex // the test changes the state while the fake answers
	iface        string
	state        protocol.PortState
	mechanism    uint8
	own, gm      protocol.ClockIdentity
	ownClass     protocol.ClockClass
	gmClass      protocol.ClockClass
	gmPresent    bool
	offsetNS     float64
	delayNS      float64 // currentDS.meanPathDelay
	peerDelayNS  float64 // portDS.peerMeanPathDelay
	stepsRemoved uint16
	ports        int // answers to a port-level GET, one per port
}

func slaveState() *fakeState {
	return &fakeState{
		iface: "eth0", state: protocol.PortStateSlave, mechanism: delayE2E,
		own: 0x001122fffe334455, gm: 0xaabbccfffeddeeff, ownClass: 255, gmClass: 6, gmPresent: true,
		offsetNS: 12, delayNS: 2500, stepsRemoved: 1, ports: 1,
	}
}

// set changes the state under its lock.
func (s *fakeState) set(change func(*fakeState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	change(s)
}

// answer answers like ptp4l 3.1.1 from s, as it is when the request
// arrives.
func (s *fakeState) answer(t *testing.T) func([]byte) [][]byte {
	return func(req []byte) [][]byte {
		s.mu.Lock()
		defer s.mu.Unlock()
		seq := requestSeq(req)
		head := func(id protocol.ManagementID) protocol.ManagementTLVHead {
			return protocol.ManagementTLVHead{TLVHead: protocol.TLVHead{TLVType: protocol.TLVManagement}, ManagementID: id}
		}
		switch id := requestID(req); id {
		case protocol.IDDefaultDataSet:
			return [][]byte{reply(t, seq, &protocol.DefaultDataSetTLV{ManagementTLVHead: head(id), SoTSC: 0x03, NumberPorts: uint16(s.ports),
				Priority1: 128, Priority2: 128, ClockQuality: protocol.ClockQuality{ClockClass: s.ownClass, ClockAccuracy: 0xFE}, ClockIdentity: s.own})}
		case protocol.IDCurrentDataSet:
			return [][]byte{reply(t, seq, &protocol.CurrentDataSetTLV{ManagementTLVHead: head(id), StepsRemoved: s.stepsRemoved,
				OffsetFromMaster: protocol.NewTimeInterval(s.offsetNS), MeanPathDelay: protocol.NewTimeInterval(s.delayNS)})}
		case protocol.IDParentDataSet:
			return [][]byte{reply(t, seq, &protocol.ParentDataSetTLV{ManagementTLVHead: head(id), GrandmasterPriority1: 128, GrandmasterPriority2: 127,
				GrandmasterClockQuality: protocol.ClockQuality{ClockClass: s.gmClass, ClockAccuracy: protocol.ClockAccuracyNanosecond100}, GrandmasterIdentity: s.gm})}
		case protocol.IDTimeStatusNP:
			present := int32(0)
			if s.gmPresent {
				present = 1
			}
			return [][]byte{reply(t, seq, &protocol.TimeStatusNPTLV{ManagementTLVHead: head(id), MasterOffsetNS: int64(s.offsetNS), GMPresent: present, GMIdentity: s.gm})}
		case protocol.IDPortDataSet:
			var out [][]byte
			for port := 1; port <= s.ports; port++ {
				out = append(out, reply(t, seq, &portDataSetTLV{ManagementTLVHead: head(id), PortIdentity: protocol.PortIdentity{ClockIdentity: s.own, PortNumber: uint16(port)},
					PortState: s.state, PeerMeanPathDelay: protocol.NewTimeInterval(s.peerDelayNS), LogAnnounceInterval: 1, AnnounceReceiptTimeout: 3, DelayMechanism: s.mechanism, VersionNumber: 2}))
			}
			return out
		case protocol.IDPortPropertiesNP:
			var out [][]byte
			for port := 1; port <= s.ports; port++ {
				iface := s.iface
				if port > 1 {
					iface = "other" + string(rune('0'+port))
				}
				out = append(out, reply(t, seq, &protocol.PortPropertiesNPTLV{ManagementTLVHead: head(id), PortIdentity: protocol.PortIdentity{ClockIdentity: s.own, PortNumber: uint16(port)},
					PortState: s.state, Timestamping: protocol.TimestampingHardware, Interface: protocol.PTPText(iface)}))
			}
			return out
		default:
			return [][]byte{refusal(t, seq, id, protocol.ErrorNoSuchID)}
		}
	}
}

// staleSocket makes a socket file that nothing listens on: what a ptp4l
// killed with SIGKILL leaves.
func staleSocket(t *testing.T) string {
	t.Helper()
	path := filepath.Join(sockDir(t), "ptp4l")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	c.Close() // a datagram socket's file stays (Go unlinks only listeners')
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Fatal("the stale socket file is gone")
	}
	return path
}
