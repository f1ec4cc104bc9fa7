// The local-folder object store ("file://DIR"): the object "a/b" is the file DIR/a/b.
//
// - put writes a temporary file (kReservedKeyPrefix + random hex) in the object's
//   directory, flushes it, and renames it over the object: atomic. It makes missing
//   directories; remove deletes directories left empty. A file and a directory cannot
//   share a name, so "a" and "a/b" cannot both be objects: the second put is kConflict.
// - Symbolic links are never followed below DIR (every component is opened with
//   O_NOFOLLOW, relative to DIR's descriptor). A symlink, FIFO, socket or device is not
//   an object: list skips it, get answers kNotFound for it and for any key whose path
//   passes through a symlinked directory (as for any other key that names no object:
//   the key itself is valid, there is simply no object there), put replaces a symlink
//   leaf with a regular file and refuses (kConflict) a symlinked directory on the way,
//   remove leaves it alone. Files whose names are not valid keys are not objects either.
// - etag: the 64-bit FNV-1a hash of the content, computed while put writes it. list
//   computes it by reading the file, and caches it in the Store by (device, inode, size,
//   mtime, ctime) once the file has not changed for 2 seconds: a file changed in any way
//   (even in place, by a program other than tandem) then has another inode or ctime, so
//   its etag is recomputed; a younger file is read on every list, as its timestamps may
//   not move on a change within one clock tick. A new Store (a new process) reads every
//   listed file once.
// - modified: the file's mtime, in milliseconds.
//
// Temporary files of a put that crashed stay behind (never listed; never removed).
#pragma once

#include <memory>
#include <string_view>

#include "store/store.h"

namespace tandem {

// Opens the store in the directory `dir` ("file://DIR"; relative to the current
// directory), making it if missing. The store keeps it open: renaming it or changing the
// current directory later changes nothing. Thread-safe. kInvalid if `dir` is empty or is
// not a directory; kUnavailable or kInternal if it cannot be made or opened.
Result<std::unique_ptr<Store>> open_file_store(std::string_view dir);

}  // namespace tandem
