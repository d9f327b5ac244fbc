package ptp

import (
	"bytes"
	"encoding/binary"

	"github.com/facebook/time/ptp/protocol"
)

// portDataSetTLV is the PORT_DATA_SET management TLV (IEEE 1588-2008
// 15.5.3.5.1, Table 86; the portDS of 8.2.5), which
// github.com/facebook/time/ptp/protocol names (IDPortDataSet) but does not
// decode. ptp4l fills it in port.c (TLV_PORT_DATA_SET) in network order.
type portDataSetTLV struct {
	protocol.ManagementTLVHead

	PortIdentity            protocol.PortIdentity
	PortState               protocol.PortState
	LogMinDelayReqInterval  protocol.LogInterval
	PeerMeanPathDelay       protocol.TimeInterval
	LogAnnounceInterval     protocol.LogInterval
	AnnounceReceiptTimeout  uint8
	LogSyncInterval         protocol.LogInterval
	DelayMechanism          uint8
	LogMinPdelayReqInterval protocol.LogInterval
	VersionNumber           uint8 // low nibble: versionPTP
}

// delayMechanism values (IEEE 1588-2008 8.2.5.4.4, Table 9).
const (
	delayE2E      = 0x01
	delayP2P      = 0x02
	delayDisabled = 0xFE
)

func init() {
	protocol.RegisterMgmtTLVDecoder(protocol.IDPortDataSet, func(data []byte) (protocol.ManagementTLV, error) {
		tlv := &portDataSetTLV{}
		if err := binary.Read(bytes.NewReader(data), binary.BigEndian, tlv); err != nil {
			return nil, err
		}
		return tlv, nil
	})
}

// portDataSetRequest is a GET of PORT_DATA_SET. Its TLV has the data set's
// full size, zero-filled: ptp4l 3.1.1 does not answer a shorter one
// (measured; pmc sends it at full size too).
func portDataSetRequest() *protocol.Management {
	// Take the header (our source port identity, GET, any port) from a
	// request the library builds, and put our TLV in it.
	req := protocol.PortPropertiesNPRequest()
	size := uint16(binary.Size(portDataSetTLV{}))
	req.MessageLength = uint16(binary.Size(protocol.ManagementMsgHead{})) + size
	req.TLV = &portDataSetTLV{ManagementTLVHead: protocol.ManagementTLVHead{
		TLVHead: protocol.TLVHead{
			TLVType: protocol.TLVManagement,
			// lengthField counts what follows it (IEEE 1588-2008 14.1.2).
			LengthField: size - uint16(binary.Size(protocol.TLVHead{})),
		},
		ManagementID: protocol.IDPortDataSet,
	}}
	return req
}

// portDataSet sends the PORT_DATA_SET request and returns the answer.
func portDataSet(c *protocol.MgmtClient) (*portDataSetTLV, error) {
	p, err := c.Communicate(portDataSetRequest())
	if err != nil {
		return nil, err
	}
	tlv, ok := p.TLV.(*portDataSetTLV)
	if !ok {
		return nil, unexpectedTLV(p.TLV)
	}
	return tlv, nil
}
