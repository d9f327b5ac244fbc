/*
 * noclockwrite.c: an LD_PRELOAD library for the ptp4l test rig. ptp4l
 * disciplines CLOCK_REALTIME, which every network namespace shares; this
 * library keeps it from changing the machine's clock:
 *   - clock_adjtime(2), adjtimex(2), ntp_adjtime(3) with modes != 0 on
 *     CLOCK_REALTIME become read-only queries (modes 0);
 *   - clock_settime(2) on CLOCK_REALTIME and settimeofday(2) do nothing.
 * ptp4l also runs without CAP_SYS_TIME, so a call that slips past this
 * library fails with EPERM.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

int clock_adjtime(clockid_t clk, struct timex *tx)
{
	static int (*real)(clockid_t, struct timex *);

	if (!real)
		real = (int (*)(clockid_t, struct timex *))dlsym(RTLD_NEXT, "clock_adjtime");
	if (clk == CLOCK_REALTIME && tx->modes != 0)
		tx->modes = 0;
	return real(clk, tx);
}

int adjtimex(struct timex *tx)
{
	return clock_adjtime(CLOCK_REALTIME, tx);
}

int ntp_adjtime(struct timex *tx)
{
	return clock_adjtime(CLOCK_REALTIME, tx);
}

int clock_settime(clockid_t clk, const struct timespec *ts)
{
	static int (*real)(clockid_t, const struct timespec *);

	if (clk == CLOCK_REALTIME)
		return 0;
	if (!real)
		real = (int (*)(clockid_t, const struct timespec *))dlsym(RTLD_NEXT, "clock_settime");
	return real(clk, ts);
}

int settimeofday(const struct timeval *tv, const struct timezone *tz)
{
	(void)tv;
	(void)tz;
	return 0;
}
