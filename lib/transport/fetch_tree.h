// Copying a file or directory tree from a source (the remote side of a
// transport, or this host's job directory) into a ConfinedDir, confined on
// both sides: every entry name the source lists must be a plain name (a
// hostile listing such as "../../victim/x" is refused), a symlink is
// followed only to a regular file inside the source root (a symlink to a
// directory, or out of the root, is refused -- no loops, no leaks), and
// every local write stays inside the destination (ConfinedDir).
//
// Source needs: FileInfo lstat(path); FileInfo stat(path);
// std::string real_path(path); std::vector<std::string> list_dir(path);
// void copy_file(path, const ConfinedDir& into, const std::string& name,
// uint32_t mode).
#pragma once
#include <string>

#include "transport/confined_dir.h"
#include "transport/transport.h"
#include "util/error.h"

namespace xrun {

// "a/b/c" -> "a/b", "c" -> ".", "/c" -> "/": where a copy named by a path lands.
inline std::string parent_of(const std::string& p) {
  auto slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

// "a/b/c" -> "c".
inline std::string last_part_of(const std::string& p) {
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

template <class Source>
class TreeFetcher {
 public:
  // `root` bounds where symlinks may lead (the job directory, or the item
  // itself for a plain download).
  TreeFetcher(Source& src, std::string root, std::string where) : src_(src), root_(std::move(root)), where_(std::move(where)) {}

  void fetch(const std::string& item, const ConfinedDir& parent, const std::string& name, int depth = 0) {
    if (depth > kMaxDepth)
      throw Error(XRUN_E_INVALID, "refusing to retrieve " + item + " from " + where_ + ": nested deeper than " +
                                      std::to_string(kMaxDepth) + " levels");
    FileInfo info = src_.lstat(item);
    if (!info.exists) throw Error(XRUN_E_NOT_FOUND, "no such file " + item + " on " + where_);
    if (info.is_symlink) {
      std::string target = src_.real_path(item);
      if (!inside(target))
        throw Error(XRUN_E_INVALID, "refusing to retrieve " + item + " from " + where_ + ": it is a symlink to " +
                                        target + ", outside " + root_real());
      info = src_.stat(item);
      if (!info.exists) throw Error(XRUN_E_NOT_FOUND, "dangling symlink " + item + " on " + where_);
      if (info.is_dir)
        throw Error(XRUN_E_INVALID, "refusing to retrieve " + item + " from " + where_ +
                                        ": it is a symlink to a directory (not followed)");
    }
    if (info.is_dir) {
      ConfinedDir sub = parent.subdir(name, info.mode ? (info.mode | 0700) : 0755);
      for (const auto& entry : src_.list_dir(item)) {
        if (!is_plain_name(entry))
          throw Error(XRUN_E_INVALID, "refusing entry \"" + entry + "\" listed in " + item + " by " + where_ +
                                          ": not a plain file name (it would leave the destination)");
        fetch(item + "/" + entry, sub, entry, depth + 1);
      }
      return;
    }
    if (!info.is_regular) {
      // Sockets, FIFOs, devices: nothing to copy (and reading one blocks).
      if (depth == 0)
        throw Error(XRUN_E_IO, "cannot retrieve " + item + " from " + where_ + ": not a regular file or directory");
      return;
    }
    src_.copy_file(item, parent, name, info.mode);
  }

 private:
  static constexpr int kMaxDepth = 64;

  const std::string& root_real() {
    if (root_real_.empty()) root_real_ = src_.real_path(root_);
    return root_real_;
  }
  bool inside(const std::string& path) {
    const std::string& r = root_real();
    return path == r || (path.size() > r.size() && path.compare(0, r.size(), r) == 0 &&
                         (r.back() == '/' || path[r.size()] == '/'));
  }

  Source& src_;
  std::string root_, where_, root_real_;
};

}  // namespace xrun
