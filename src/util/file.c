/* file.c: an output file written whole or not at all (see file.h). */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_write_whole(const char *path, const char *data, size_t len, StrBuf *err)
{
    struct stat st;
    bool to_stdout = strcmp(path, "-") == 0;
    if (to_stdout || (stat(path, &st) == 0 && !S_ISREG(st.st_mode))) {
        /* standard output, /dev/null, a pipe: written directly */
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
