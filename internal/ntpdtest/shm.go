package ntpdtest

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// shmKey is the SysV key of SHM unit 0 ("NTP0"; ntpsec refclock_shm.c,
// driver 28): unit N uses shmKey+N.
const shmKey = 0x4e545030

// Offsets of struct shmTime (ntpsec ntpd/refclock_shm.c) on LP64 Linux
// (amd64, arm64): int mode; volatile int count; time_t clockTimeStampSec;
// int clockTimeStampUSec; (4 octets padding) time_t receiveTimeStampSec;
// int receiveTimeStampUSec; int leap; int precision; int nsamples;
// volatile int valid; unsigned clockTimeStampNSec; unsigned
// receiveTimeStampNSec; int dummy[8].
const (
	offMode         = 0
	offCount        = 4
	offClockSec     = 8
	offClockUSec    = 16
	offReceiveSec   = 24
	offReceiveUSec  = 32
	offLeap         = 36
	offPrecision    = 40
	offNSamples     = 44
	offValid        = 48
	offClockNSec    = 52
	offReceiveNSec  = 56
	shmSize         = 96
	samplePrecision = -20 // log2 seconds, about 1 µs (what gpsd writes)
)

// attachSHM opens SHM unit 0 in ntpd's IPC namespace (creating it if ntpd
// has not yet) and maps it into this process.
func (d *Daemon) attachSHM() ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shm != nil {
		return d.shm, nil
	}
	var seg []byte
	var err error
	d.inNamespace(d.ipcns, unix.CLONE_NEWIPC, func() {
		var id int
		id, err = unix.SysvShmGet(shmKey, shmSize, unix.IPC_CREAT|0o600)
		if err != nil {
			err = fmt.Errorf("shmget NTP0: %w", err)
			return
		}
		// The mapping belongs to the process, not to this thread.
		seg, err = unix.SysvShmAttach(id, 0, 0)
		if err != nil {
			err = fmt.Errorf("shmat NTP0: %w", err)
		}
	})
	if err != nil {
		return nil, err
	}
	if len(seg) < shmSize {
		unix.SysvShmDetach(seg)
		return nil, fmt.Errorf("SHM segment NTP0 has %d octets, want %d", len(seg), shmSize)
	}
	d.shm = seg
	return seg, nil
}

// Sample writes one SHM sample, mode 1: the reference ("clock") time is the
// local time plus ahead, so a positive ahead means the reference is ahead of
// the local clock and ntpd will measure the local clock as behind.
func (d *Daemon) Sample(ahead time.Duration) error {
	seg, err := d.attachSHM()
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shm == nil {
		return fmt.Errorf("SHM detached")
	}
	now := time.Now()
	ref := now.Add(ahead)
	count := (*int32)(unsafe.Pointer(&seg[offCount]))
	valid := (*int32)(unsafe.Pointer(&seg[offValid]))
	// The mode 1 protocol (refclock_shm.c): count changes around the
	// write, so ntpd can tell a torn read; valid says a sample waits.
	atomic.StoreInt32(valid, 0)
	atomic.AddInt32(count, 1)
	ne := binary.NativeEndian
	ne.PutUint32(seg[offMode:], 1)
	ne.PutUint64(seg[offClockSec:], uint64(ref.Unix()))
	ne.PutUint32(seg[offClockUSec:], uint32(ref.Nanosecond()/1000))
	ne.PutUint32(seg[offClockNSec:], uint32(ref.Nanosecond()))
	ne.PutUint64(seg[offReceiveSec:], uint64(now.Unix()))
	ne.PutUint32(seg[offReceiveUSec:], uint32(now.Nanosecond()/1000))
	ne.PutUint32(seg[offReceiveNSec:], uint32(now.Nanosecond()))
	ne.PutUint32(seg[offLeap:], 0)
	precision := int32(samplePrecision)
	ne.PutUint32(seg[offPrecision:], uint32(precision))
	ne.PutUint32(seg[offNSamples:], 3)
	atomic.AddInt32(count, 1)
	atomic.StoreInt32(valid, 1)
	return nil
}

// Feed writes a sample every interval (the reference ahead of the local
// clock by ahead) until Stop; the first at once.
func (d *Daemon) Feed(interval, ahead time.Duration) *Feeder {
	if err := d.Sample(ahead); err != nil {
		d.t.Fatalf("feed SHM: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Feeder{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := d.Sample(ahead); err != nil {
					d.t.Errorf("feed SHM: %v", err)
					return
				}
			}
		}
	}()
	d.t.Cleanup(f.Stop)
	return f
}
