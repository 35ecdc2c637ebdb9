#ifndef PACA_CSYSTEMD_SHIM_H
#define PACA_CSYSTEMD_SHIM_H

// sd_notify and sd_watchdog_enabled from libsystemd; both are no-ops (return 0) when the process
// was not started by systemd with NOTIFY_SOCKET / WATCHDOG_USEC set.
#include <systemd/sd-daemon.h>
#include <sys/socket.h>

// sd_is_socket_unix for a listening stream socket, bound at `path` when it is not NULL.
static inline int paca_is_listening_unix_stream(int fd, const char *path) {
    return sd_is_socket_unix(fd, SOCK_STREAM, 1, path, 0);
}

// The first descriptor systemd passes (SD_LISTEN_FDS_START).
static inline int paca_listen_fds_start(void) { return SD_LISTEN_FDS_START; }

#endif
