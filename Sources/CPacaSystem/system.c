#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
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

int paca_seek_data(void) {
    return SEEK_DATA;
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


static int open_components(int dirfd, char *copy, int flags, int mode);

/* Opens `path` under `dirfd` one component at a time, each with O_NOFOLLOW, refusing "..":
   what openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS does, for kernels before 5.6 and for
   paths longer than PATH_MAX (a tree that deep is restored one folder at a time). */
static int open_beneath_by_components(int dirfd, const char *path, int flags, int mode) {
    char *copy = strdup(path);
    if (copy == NULL) { errno = ENOMEM; return -1; }
    int fd = open_components(dirfd, copy, flags, mode);
    int saved = errno;
    free(copy);
    errno = saved;
    return fd;
}

static int open_components(int dirfd, char *copy, int flags, int mode) {
    if (copy[0] == '/') { errno = EXDEV; return -1; }
    int current = dirfd;
    char *name = copy;
    for (;;) {
        char *slash = strchr(name, '/');
        if (slash == NULL) break;
        *slash = '\0';
        if (strcmp(name, "..") == 0) { if (current != dirfd) close(current); errno = EXDEV; return -1; }
        if (*name != '\0' && strcmp(name, ".") != 0) {
            int next = openat(current, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int saved = errno;
            if (current != dirfd) close(current);
            if (next < 0) { errno = saved; return -1; }
            current = next;
        }
        name = slash + 1;
    }
    if (strcmp(name, "..") == 0) { if (current != dirfd) close(current); errno = EXDEV; return -1; }
    int fd = openat(current, *name == '\0' ? "." : name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    int saved = errno;
    if (current != dirfd) close(current);
    errno = saved;
    return fd;
}

int paca_open_beneath(int dirfd, const char *path, int flags, int mode) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? (unsigned long long)mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, dirfd, *path == '\0' ? "." : path, &how, sizeof how);
    if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == ENAMETOOLONG)) {
        /* No openat2 (before Linux 5.6), a seccomp filter that refuses it, or a path longer than
           PATH_MAX: each component on its own is short enough. */
        return open_beneath_by_components(dirfd, path, flags, mode);
    }
    return (int)fd;
}

int paca_renameat_noreplace(int from_dir, const char *from, int to_dir, const char *to) {
    return renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE);
}

int paca_io_priority_idle(void) {
    // ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0)): `0` is the
    // calling thread, whose I/O then waits for every other process's.
    return (int)syscall(SYS_ioprio_set, 1, 0, 3 << 13);
}

int paca_io_priority(void) {
    return (int)syscall(SYS_ioprio_get, 1, 0);
}

int paca_clone_file(int dst, int src) {
    return ioctl(dst, FICLONE, src);
}

long long paca_copy_file_range(int src, int dst, long long length) {
    return (long long)copy_file_range(src, NULL, dst, NULL, (size_t)length, 0);
}
