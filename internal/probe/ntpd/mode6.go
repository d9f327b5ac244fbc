package ntpd

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/facebook/time/ntp/control"
)

// vnMode is the first octet of a request: version 2, mode 6 (RFC 1305
// appendix B; ntpq sends version 2 too, and ntpd answers any version 1-4).
var vnMode = control.MakeVnMode(2, control.Mode)

// Mode 6 error codes (the high octet of the status word of an error
// response; RFC 1305 appendix B, ntpsec include/ntp_control.h CERR_*).
var controlErrors = map[uint16]string{
	0: "unspecified error",
	1: "permission denied",
	2: "request badly formatted",
	3: "unknown opcode",
	4: "no such association",
	5: "unknown variable",
	6: "invalid value",
	7: "administratively prohibited (restrict noquery?)",
}

// session speaks mode 6 over one connection: facebook/time's client frames
// the request and joins the fragments; session checks that the answer is
// the response to what it asked.
type session struct {
	c *control.NTPClient
}

// newSession starts a session on conn, which must carry a deadline.
func newSession(conn io.ReadWriter) *session {
	return &session{c: &control.NTPClient{Sequence: 1, Connection: conn}}
}

// request sends op for association id and returns the joined response.
func (s *session) request(op uint8, id uint16) (*control.NTPControlMsg, error) {
	head := &control.NTPControlMsgHead{VnMode: vnMode, REMOp: op, AssociationID: id}
	resp, err := s.c.Communicate(head)
	if err != nil {
		return nil, err
	}
	switch {
	case !resp.IsResponse() || resp.GetMode() != control.Mode:
		return nil, fmt.Errorf("reply is not a mode 6 response (first octets %#02x %#02x)", resp.VnMode, resp.REMOp)
	case resp.GetOperation() != op:
		return nil, fmt.Errorf("reply is for opcode %d, asked %d", resp.GetOperation(), op)
	case resp.Sequence != head.Sequence:
		return nil, fmt.Errorf("reply has sequence %d, asked %d", resp.Sequence, head.Sequence)
	case resp.HasError():
		code := resp.Status >> 8
		msg, ok := controlErrors[code]
		if !ok {
			msg = fmt.Sprintf("error code %d", code)
		}
		return nil, fmt.Errorf("ntpd refused: %s", msg)
	case resp.AssociationID != id:
		return nil, fmt.Errorf("reply is for association %d, asked %d", resp.AssociationID, id)
	}
	return resp, nil
}

// association is one entry of the read-status reply: an association ID and
// its peer status word (RFC 1305 appendix B).
type association struct {
	ID     uint16
	Status uint16
}

// readStatus asks for the system status word and every association, in
// ntpd's order.
func (s *session) readStatus() (sys uint16, assocs []association, err error) {
	resp, err := s.request(control.OpReadStatus, 0)
	if err != nil {
		return 0, nil, fmt.Errorf("readstat: %w", err)
	}
	assocs, err = parseAssociations(resp.Data)
	if err != nil {
		return 0, nil, fmt.Errorf("readstat: %w", err)
	}
	return resp.Status, assocs, nil
}

// parseAssociations decodes the read-status payload: pairs of 16-bit
// association ID and peer status word, big-endian.
func parseAssociations(data []byte) ([]association, error) {
	if len(data)%4 != 0 {
		return nil, fmt.Errorf("association list of %d octets is not a multiple of 4", len(data))
	}
	out := make([]association, 0, len(data)/4)
	for i := 0; i+4 <= len(data); i += 4 {
		out = append(out, association{
			ID:     binary.BigEndian.Uint16(data[i:]),
			Status: binary.BigEndian.Uint16(data[i+2:]),
		})
	}
	return out, nil
}

// readVars asks for the variables of association id (0: the system) and
// returns them with the status word of the reply.
func (s *session) readVars(id uint16) (status uint16, vars map[string]string, err error) {
	resp, err := s.request(control.OpReadVariables, id)
	if err != nil {
		return 0, nil, fmt.Errorf("readvar %d: %w", id, err)
	}
	vars, err = ParseVars(resp.Data)
	if err != nil {
		return 0, nil, fmt.Errorf("readvar %d: %w", id, err)
	}
	return resp.Status, vars, nil
}
