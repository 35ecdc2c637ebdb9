#ifndef PACA_CSYSTEMD_SHIM_H
#define PACA_CSYSTEMD_SHIM_H

// sd_notify and sd_watchdog_enabled from libsystemd; both are no-ops (return 0) when the process
// was not started by systemd with NOTIFY_SOCKET / WATCHDOG_USEC set.
#include <systemd/sd-daemon.h>

#endif
