// A local directory that files named by a remote (or by a job spec) are
// written into without ever leaving it: every name is one plain component
// (no "/", no "." or "..", not empty), every subdirectory is created and
// opened with O_NOFOLLOW relative to its parent's descriptor (a symlink
// planted in the destination is refused, not followed), and every file is
// written under a temporary name created with O_EXCL|O_NOFOLLOW, then
// renamed into place within the same directory (renameat replaces a
// symlink itself, never its target).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace xrun {

// True if `name` is one plain path component: a remote cannot use it to
// step out of a directory.
bool is_plain_name(const std::string& name);

// Throws Error(XRUN_E_INVALID) naming `what` if `rel` is empty, absolute,
// or has an empty, "." or ".." component.
void check_relative_path(const std::string& rel, const std::string& what);

class ConfinedDir {
 public:
  // The destination root, created (with parents) if missing. The root
  // itself is the caller's choice and may be reached through symlinks.
  static ConfinedDir open_root(const std::string& path, uint32_t mode = 0755);
  ConfinedDir(ConfinedDir&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  ConfinedDir& operator=(ConfinedDir&&) = delete;
  ConfinedDir(const ConfinedDir&) = delete;
  ~ConfinedDir();

  // The subdirectory `name` (one plain component), created if missing.
  // Throws XRUN_E_INVALID for a bad name or a symlink in its place.
  ConfinedDir subdir(const std::string& name, uint32_t mode = 0755) const;
  // The directory at relative path `rel` ("a/b"), each level as subdir().
  ConfinedDir descend(const std::string& rel, uint32_t mode = 0755) const;

  // A new file to be renamed to `name` when complete: created 0600 under
  // a temporary name (O_EXCL|O_NOFOLLOW). commit() sets the mode and
  // renames it into place; a file never committed is removed.
  class NewFile {
   public:
    NewFile(NewFile&& o) noexcept;
    NewFile& operator=(NewFile&&) = delete;
    ~NewFile();
    int fd() const { return fd_; }
    const std::string& temp_path() const { return shown_; }
    void write(const char* data, size_t size);
    void commit(uint32_t mode);

   private:
    friend class ConfinedDir;
    NewFile(int dirfd, std::string tmp, std::string name, std::string shown, int fd)
        : dirfd_(dirfd), tmp_(std::move(tmp)), name_(std::move(name)), shown_(std::move(shown)), fd_(fd) {}
    int dirfd_;
    std::string tmp_, name_, shown_;
    int fd_;
  };
  NewFile create(const std::string& name) const;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }  // for messages

 private:
  ConfinedDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace xrun
