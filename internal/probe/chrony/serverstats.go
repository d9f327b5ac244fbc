package chrony

import (
	"fmt"
	"io"

	fbchrony "github.com/facebook/time/ntp/chrony"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// serverStats asks chronyd what it counted as a server (chronyc
// serverstats). chronyd answers it only on its unix socket: over UDP it is
// not a monitoring command and is refused with 501 Not authorised
// (chronyc(1), cmdmon.c permissions), so the probe asks only there.
// Each chrony version answers with the newest reply it knows: serverstats2
// (4.0), serverstats3 (4.2; chronyd 4.3 sends it) or serverstats4 (4.4).
func serverStats(conn io.ReadWriter) (*observe.ServerStats, error) {
	c := acquire(conn)
	defer c.release()
	return c.serverStats()
}

func (c *client) serverStats() (*observe.ServerStats, error) {
	const what = "serverstats"
	c.request(cmdServerStats, requestLen)
	typ, body, err := c.exchange(0, what, -1)
	if err != nil {
		return nil, err
	}
	switch typ {
	case fbchrony.RpyServerStats:
		if err := decode(body, &c.stats1, what, -1); err != nil {
			return nil, err
		}
		r := &c.stats1
		return &observe.ServerStats{
			NTPPacketsReceived: uint64(r.NTPHits), NTPPacketsDropped: uint64(r.NTPDrops),
			CommandPacketsReceived: uint64(r.CMDHits), CommandPacketsDropped: uint64(r.CMDDrops),
			ClientLogRecordsDropped: uint64(r.LogDrops),
		}, nil
	case fbchrony.RpyServerStats2:
		if err := decode(body, &c.stats2, what, -1); err != nil {
			return nil, err
		}
		r := &c.stats2
		return &observe.ServerStats{
			NTPPacketsReceived: uint64(r.NTPHits), NTPPacketsDropped: uint64(r.NTPDrops),
			CommandPacketsReceived: uint64(r.CMDHits), CommandPacketsDropped: uint64(r.CMDDrops),
			ClientLogRecordsDropped:  uint64(r.LogDrops),
			NTSKEConnectionsAccepted: uint64(r.NKEHits), NTSKEConnectionsDropped: uint64(r.NKEDrops),
			AuthenticatedNTPPackets: uint64(r.NTPAuthHits),
		}, nil
	case fbchrony.RpyServerStats3:
		if err := decode(body, &c.stats3, what, -1); err != nil {
			return nil, err
		}
		r := &c.stats3
		return &observe.ServerStats{
			NTPPacketsReceived: uint64(r.NTPHits), NTPPacketsDropped: uint64(r.NTPDrops),
			CommandPacketsReceived: uint64(r.CMDHits), CommandPacketsDropped: uint64(r.CMDDrops),
			ClientLogRecordsDropped:  uint64(r.LogDrops),
			NTSKEConnectionsAccepted: uint64(r.NKEHits), NTSKEConnectionsDropped: uint64(r.NKEDrops),
			AuthenticatedNTPPackets: uint64(r.NTPAuthHits), InterleavedNTPPackets: uint64(r.NTPInterleavedHits),
			NTPTimestampsHeld: uint64(r.NTPTimestamps), NTPTimestampSpanSeconds: uint64(r.NTPSpanSeconds),
		}, nil
	case fbchrony.RpyServerStats4:
		if err := decode(body, &c.stats4, what, -1); err != nil {
			return nil, err
		}
		r := &c.stats4
		return &observe.ServerStats{
			NTPPacketsReceived: r.NTPHits, NTPPacketsDropped: r.NTPDrops,
			CommandPacketsReceived: r.CMDHits, CommandPacketsDropped: r.CMDDrops,
			ClientLogRecordsDropped:  r.LogDrops,
			NTSKEConnectionsAccepted: r.NKEHits, NTSKEConnectionsDropped: r.NKEDrops,
			AuthenticatedNTPPackets: r.NTPAuthHits, InterleavedNTPPackets: r.NTPInterleavedHits,
			NTPTimestampsHeld: r.NTPTimestamps, NTPTimestampSpanSeconds: r.NTPSpanSeconds,
			Timestamps: &observe.ServerTimestamps{
				DaemonRX: r.NTPDaemonRxtimestamps, DaemonTX: r.NTPDaemonTxtimestamps,
				KernelRX: r.NTPKernelRxtimestamps, KernelTX: r.NTPKernelTxtimestamps,
				HardwareRX: r.NTPHwRxTimestamps, HardwareTX: r.NTPHwTxTimestamps,
			},
		}, nil
	}
	return nil, fmt.Errorf("serverstats request: unexpected reply type %d: %w", uint16(typ), errMalformed)
}
