#ifndef PACA_SYSTEM_H
#define PACA_SYSTEM_H

// Linux calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not see.

/// renameat2(olddir, oldpath, newdir, newpath, RENAME_NOREPLACE): rename unless the target exists.
int paca_rename_noreplace(const char *from, const char *to);

/// mkostemp(template, O_CLOEXEC).
int paca_mkostemp_cloexec(char *template_path);

/// sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE): start writeback of a range now,
/// without waiting for it.
int paca_start_writeback(int fd, long long offset, long long length);

/// The O_NOATIME open flag.
int paca_o_noatime(void);
/* lseek's SEEK_DATA (a GNU extension Swift's Glibc module does not show). */
int paca_seek_data(void);

/// The peer of a Unix socket as SO_PEERCRED reports it (struct ucred's layout).
struct paca_peer_credentials {
    int pid;
    unsigned int uid;
    unsigned int gid;
};

/// The SO_PEERCRED socket option number.
int paca_so_peercred(void);

/// memmem(haystack, haystack_length, needle, needle_length) != NULL: glibc's vectorised search.
int paca_contains_bytes(const void *haystack, long haystack_length, const void *needle, long needle_length);

/// eventfd(0, EFD_CLOEXEC): a counter another thread can write to wake a poll().
int paca_eventfd_cloexec(void);

/// strerrorname_np(code): the errno's symbolic name ("ENOENT"), or NULL for an unknown code.
const char *paca_errno_name(int code);

/// Opens `path` (relative) under the directory `dirfd` without leaving it and without following
/// any symbolic link on the way or at the end: openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
/// or a component-by-component O_NOFOLLOW walk where openat2 is missing. O_CLOEXEC is added.
/// Fails with ELOOP at a symlink and EXDEV for a path that would leave `dirfd`.
int paca_open_beneath(int dirfd, const char *path, int flags, int mode);

/// renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE).
int paca_renameat_noreplace(int from_dir, const char *from, int to_dir, const char *to);

/// Puts the calling thread's disk I/O in the idle class (served only when no other process waits
/// for the disk): ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE). 0 or -1 with errno.
int paca_io_priority_idle(void);

/// The calling thread's I/O priority (ioprio_get), or -1 with errno.
int paca_io_priority(void);

/// ioctl(dst, FICLONE, src): makes `dst` share `src`'s extents (a reflink) on file systems that
/// can (Btrfs, XFS with reflink=1, bcachefs); 0, or -1 with errno (EOPNOTSUPP, EXDEV, EINVAL
/// where they cannot).
int paca_clone_file(int dst, int src);

/// copy_file_range(src, NULL, dst, NULL, length, 0): copies in the kernel, from each
/// descriptor's offset; the count copied, or -1 with errno.
long long paca_copy_file_range(int src, int dst, long long length);

#endif
