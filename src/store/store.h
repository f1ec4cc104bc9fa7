// The object store: where a job's input files come from and its results go. Shaped after
// S3: a flat namespace of keys, whole objects written atomically, listing by key prefix in
// key order. Chosen by URL: "memory://NAME", "file://DIR" (later "s3://bucket/prefix").
//
// Every method of every Store is thread-safe: one Store may be used by many threads at
// once. Objects are shared by every Store opened on the same URL (for file:// and s3://,
// by every process too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"

namespace tandem {

// Keys are data, not paths chosen by a user: check_key() says which are valid.
inline constexpr std::size_t kMaxKeyBytes = 1024;
// No segment of a key may start with this: stores name their temporary files with it.
inline constexpr std::string_view kReservedKeyPrefix = ".tandem-tmp-";

// Success if `key` is a valid object key: 1..kMaxKeyBytes bytes of valid UTF-8 with no
// control character (C0, DEL, C1); '/'-separated segments, none empty (no leading or
// trailing '/', no "//"), none "." or "..", none starting with kReservedKeyPrefix.
// Otherwise kInvalid, with a message that names the key (printable_key) and the rule.
// Every store refuses an invalid key with this error before touching anything.
Result<void> check_key(std::string_view key);

// `key` quoted for a message: control characters and bytes that are not UTF-8 as \xNN,
// a quote or backslash escaped, cut after about 64 bytes (then its length is added).
std::string printable_key(std::string_view key);

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;  // bytes
  Millis modified = 0;     // when the object was last written
  // A fingerprint of the content: two versions of an object with different content have
  // different etags. memory:// and file:// use 16 hex digits of the content's 64-bit
  // FNV-1a hash; S3 returns its ETag. Compare it only with etags from the same store.
  std::string etag;
};

class Store {
 public:
  virtual ~Store() = default;

  // The whole object. kNotFound if there is no object `key`; kInvalid if the key is
  // invalid; kUnavailable or kInternal if the store cannot be read.
  virtual Result<std::string> get(std::string_view key) = 0;

  // Writes the object to the local file `path` (its directory must exist), replacing any
  // file there, without holding it all in memory. The file appears complete or not at all
  // (written to a temporary file next to it, then renamed); its mode is 0666 less the
  // umask (set the executable bit yourself). Errors as for get; on error `path` is left as
  // it was.
  virtual Result<void> get_to_file(std::string_view key, const std::filesystem::path& path) = 0;

  // Creates or replaces the object `key` with `data`. Atomic: a reader sees the old or the
  // new object, never a part of one; of concurrent puts of one key, one wins whole.
  // Returns the new object's info. kInvalid for an invalid key; kConflict if the store
  // cannot hold this key beside existing ones (file:// cannot keep "a" and "a/b" at once);
  // kUnavailable or kInternal if the store cannot be written (then the old object stays).
  virtual Result<ObjectInfo> put(std::string_view key, std::string_view data) = 0;

  // As put, with the content of the local file `path`, streamed (never held whole in
  // memory by file:// or s3://). kNotFound if `path` does not exist.
  virtual Result<ObjectInfo> put_file(std::string_view key, const std::filesystem::path& path) = 0;

  // Every object whose key starts with `prefix` (byte-wise; "a/b" matches "a/bc/x"; ""
  // matches all), sorted by key (byte-wise, as S3 lists UTF-8 keys). Any prefix is
  // allowed: one no valid key can start with lists nothing. A snapshot as of some moment
  // during the call: objects written meanwhile may or may not appear.
  virtual Result<std::vector<ObjectInfo>> list(std::string_view prefix) = 0;

  // Deletes the object `key`. Succeeds if there is no such object (as S3 does). kInvalid
  // for an invalid key; kUnavailable or kInternal if the store cannot be written.
  virtual Result<void> remove(std::string_view key) = 0;

  // The store's URL with any credentials replaced by "***", for logs and errors.
  virtual std::string redacted_url() const = 0;
};

// Opens a store from a URL: "memory://NAME" or "file://DIR". A URL without a known
// scheme is a kInvalid error that lists the known ones (credentials redacted).
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace tandem
