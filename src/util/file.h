/*
 * file.h: writing an output file whole or not at all.
 *
 * A compiler that fails half way must not leave half an object behind (a
 * build system would take it for up to date), nor destroy the previous
 * output before the new one exists.  So a regular file is written to a
 * temporary file next to it, which is renamed into place once complete;
 * on any failure the temporary file is removed and path is untouched.
 * Standard output ("-") and paths that exist and are not regular files
 * (/dev/null, a pipe, a symbolic link such as /dev/stdout) are written
 * through directly: renaming over them would replace the device, the pipe
 * or the link itself.
 */
#ifndef MYC_FILE_H
#define MYC_FILE_H

#include "common.h"

/* Writes len bytes of data to path ("-": standard output).  Returns 0, or
   -1 with "cannot write 'PATH': REASON" in err.  A new file gets the
   usual mode (0666 less the umask). */
int file_write_whole(const char *path, const char *data, size_t len, StrBuf *err);
/* The same, but a regular file that already holds exactly data is left
   alone (its time stamp too: a build tool does not rebuild what includes
   it). */
int file_write_if_changed(const char *path, const char *data, size_t len, StrBuf *err);
/* Whether paths a and b name one file: the same inode when both exist,
   else the same name in the same directory; "-" is only "-". */
bool file_same(const char *a, const char *b);

#endif
