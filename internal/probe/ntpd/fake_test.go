package ntpd

import (
	"encoding/binary"
	"net"
	"testing"
)

// startFake serves mode 6 on a loopback UDP port: handle gets each request
// and returns the datagrams to answer with (none: silence). It returns the
// address.
func startFake(t *testing.T, handle func(req []byte) [][]byte) string {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			for _, d := range handle(append([]byte(nil), buf[:n]...)) {
				conn.WriteToUDP(d, from)
			}
		}
	}()
	return conn.LocalAddr().String()
}

// replay answers with the captured replies of testdata/<scenario>, their
// sequence numbers set to the request's.
func replay(t *testing.T, scenario string) func(req []byte) [][]byte {
	t.Helper()
	captures := map[[2]uint16][][]byte{
		{1, 0}: loadCapture(t, scenario, 1, 0),
		{2, 0}: loadCapture(t, scenario, 2, 0),
	}
	for _, id := range capturedAssociations(t, scenario) {
		captures[[2]uint16{2, id}] = loadCapture(t, scenario, 2, id)
	}
	return func(req []byte) [][]byte {
		if len(req) < 12 {
			return nil
		}
		key := [2]uint16{uint16(req[1] & 0x1f), binary.BigEndian.Uint16(req[6:])}
		var out [][]byte
		for _, d := range captures[key] {
			d = append([]byte(nil), d...)
			copy(d[2:4], req[2:4])
			out = append(out, d)
		}
		return out
	}
}

// reply builds one response datagram to req: opcode from req, the given
// status word, flags OR-ed into the second octet, and data.
func reply(req []byte, status uint16, flags uint8, data string) []byte {
	d := make([]byte, 12, 12+len(data))
	d[0] = vnMode
	d[1] = 0x80 | flags | req[1]&0x1f
	copy(d[2:4], req[2:4])
	binary.BigEndian.PutUint16(d[4:], status)
	copy(d[6:8], req[6:8])
	binary.BigEndian.PutUint16(d[10:], uint16(len(data)))
	return append(d, data...)
}

// capturedAssociations lists the association IDs of a capture's readstat.
func capturedAssociations(t testing.TB, scenario string) []uint16 {
	t.Helper()
	var data []byte
	for _, dg := range loadCapture(t, scenario, 1, 0) {
		data = append(data, dg[12:]...)
	}
	assocs, err := parseAssociations(data)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uint16, len(assocs))
	for i, a := range assocs {
		ids[i] = a.ID
	}
	return ids
}
