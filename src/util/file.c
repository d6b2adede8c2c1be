/* file.c: an output file written whole or not at all (see file.h). */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether path holds exactly data (a regular file, readable). */
static bool holds(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char buf[65536];
    size_t at = 0, n;
    bool same = true;
    while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        same = at + n <= len && memcmp(buf, data + at, n) == 0;
        at += n;
    }
    same = same && !ferror(f) && at == len;
    fclose(f);
    return same;
}

int file_write_if_changed(const char *path, const char *data, size_t len, StrBuf *err)
{
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len &&
        holds(path, data, len))
        return 0;
    return file_write_whole(path, data, len, err);
}

/* The directory part of path (slash: its last '/', or NULL), malloc'd. */
static char *dir_of(const char *path, const char *slash)
{
    if (!slash)
        return xstrdup(".");
    size_t n = (size_t)(slash - path) + 1;
    char *d = xmalloc(n + 1);
    memcpy(d, path, n);
    d[n] = 0;
    return d;
}

bool file_same(const char *a, const char *b)
{
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return strcmp(a, b) == 0;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    /* one does not exist yet: the same file only if the same directory
       entry (a name and the directory it is in) */
    const char *na = strrchr(a, '/'), *nb = strrchr(b, '/');
    const char *fa = na ? na + 1 : a, *fb = nb ? nb + 1 : b;
    if (strcmp(fa, fb) != 0)
        return false;
    char *da = dir_of(a, na), *db = dir_of(b, nb);
    bool same = stat(da, &sa) == 0 && stat(db, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    free(da);
    free(db);
    return same;
}

int file_write_whole(const char *path, const char *data, size_t len, StrBuf *err)
{
    struct stat st;
    bool to_stdout = strcmp(path, "-") == 0;
    if (to_stdout || (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))) {
        /* standard output, /dev/null, a pipe, a symbolic link (/dev/stdout,
           or a link the user keeps to an output elsewhere): written
           through, never replaced */
        FILE *f = to_stdout ? stdout : fopen(path, "wb");
        bool ok = f && fwrite(data, 1, len, f) == len;
        ok = f && (to_stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
        if (!ok)
            sb_printf(err, "cannot write '%s': %s", path, strerror(errno));
        return ok ? 0 : -1;
    }
    size_t n = strlen(path);
    char *tmp = xmalloc(n + 16);
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        sb_printf(err, "cannot write '%s': %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    mode_t mask = umask(0);     /* mkstemp makes 0600; give the file the usual mode */
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    FILE *f = fdopen(fd, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    ok = (f ? fclose(f) == 0 : (close(fd), false)) && ok;
    if (ok)
        ok = rename(tmp, path) == 0;
    if (!ok) {
        sb_printf(err, "cannot write '%s': %s", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}
