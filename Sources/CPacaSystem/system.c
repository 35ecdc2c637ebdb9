#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "paca_system.h"

int paca_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

int paca_mkostemp_cloexec(char *template_path) {
    return mkostemp(template_path, O_CLOEXEC);
}

int paca_start_writeback(int fd, long long offset, long long length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

int paca_o_noatime(void) {
    return O_NOATIME;
}

int paca_so_peercred(void) {
    return SO_PEERCRED;
}

_Static_assert(sizeof(struct paca_peer_credentials) == sizeof(struct ucred), "paca_peer_credentials must match struct ucred");

int paca_eventfd_cloexec(void) {
    return eventfd(0, EFD_CLOEXEC);
}

int paca_contains_bytes(const void *haystack, long haystack_length, const void *needle, long needle_length) {
    if (haystack == NULL || needle == NULL || haystack_length < 0 || needle_length < 0) return 0;
    return memmem(haystack, (size_t)haystack_length, needle, (size_t)needle_length) != NULL;
}

const char *paca_errno_name(int code) {
    return strerrorname_np(code);
}

