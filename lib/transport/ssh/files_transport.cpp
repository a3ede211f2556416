#include "transport/ssh/files_transport.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transport/fetch_tree.h"
#include "transport/nul_guard.h"

namespace xrun::ssh {
namespace {

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::vector<std::string> list_local_dir(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) throw Error(XRUN_E_IO, "cannot list local directory " + path + ": " + strerror(errno));
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

void FilesTransport::write_file(const std::string& path, const std::string& content, uint32_t mode) {
  refuse_nul(path, "path");
  with_files([&](RemoteFiles& f) { f.write_file(path, content, mode); });
  note_transfer();
}

std::string FilesTransport::read_file(const std::string& path, int64_t max_bytes) {
  refuse_nul(path, "path");
  std::string data = with_files([&](RemoteFiles& f) { return f.read_file(path, max_bytes); });
  note_transfer();
  return data;
}

void FilesTransport::upload(const std::string& local_path, const std::string& remote_path) {
  refuse_nul(local_path, "local path");
  refuse_nul(remote_path, "remote path");
  struct stat st;
  if (::stat(local_path.c_str(), &st) != 0)
    throw Error(errno == ENOENT ? XRUN_E_NOT_FOUND : XRUN_E_IO,
                "cannot upload " + local_path + ": " + strerror(errno));
  with_files([&](RemoteFiles& f) {
    struct Walker {
      FilesTransport& self;
      RemoteFiles& f;
      void go(const std::string& local, const std::string& remote) {
        struct stat s;
        if (::stat(local.c_str(), &s) != 0) throw Error(XRUN_E_IO, "cannot upload " + local + ": " + strerror(errno));
        if (S_ISDIR(s.st_mode)) {
          f.make_dirs(remote, s.st_mode & 07777);
          for (const auto& name : list_local_dir(local)) go(join(local, name), join(remote, name));
        } else if (S_ISREG(s.st_mode)) {
          f.upload_file(local, remote, s.st_mode & 07777);
          self.note_transfer();
        }
        // Sockets, fifos and devices have no content to send.
      }
    } walker{*this, f};
    // The destination's parent is created as needed, like the job directory.
    auto slash = remote_path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      std::string parent = remote_path.substr(0, slash);
      if (parent != "~" && parent != ".") f.make_dirs(parent, 0755);
    }
    walker.go(local_path, remote_path);
  });
}

namespace {

// The remote side of a confined copy (fetch_tree.h).
struct RemoteSource {
  RemoteFiles& f;
  std::function<void()> note_transfer;
  FileInfo lstat(const std::string& p) { return f.lstat(p); }
  FileInfo stat(const std::string& p) { return f.stat(p); }
  std::string real_path(const std::string& p) { return f.real_path(p); }
  std::vector<std::string> list_dir(const std::string& p) { return f.list_dir(p); }
  void copy_file(const std::string& p, const ConfinedDir& into, const std::string& name, uint32_t mode) {
    f.download_file(p, into, name, mode);
    note_transfer();
  }
};

}  // namespace

void FilesTransport::download(const std::string& remote_path, const std::string& local_path) {
  refuse_nul(remote_path, "remote path");
  refuse_nul(local_path, "local path");
  std::string local = local_path;
  while (local.size() > 1 && local.back() == '/') local.pop_back();
  ConfinedDir parent = ConfinedDir::open_root(parent_of(local));
  with_files([&](RemoteFiles& f) {
    RemoteSource src{f, [this] { note_transfer(); }};
    TreeFetcher<RemoteSource>(src, remote_path, target_name()).fetch(remote_path, parent, last_part_of(local));
  });
}

void FilesTransport::retrieve(const std::string& remote_root, const std::string& rel, const std::string& local_root) {
  refuse_nul(remote_root, "remote path");
  refuse_nul(rel, "path");
  refuse_nul(local_root, "local path");
  check_relative_path(rel, "retrieve path");
  ConfinedDir root = ConfinedDir::open_root(local_root);
  const std::string dir = rel.find('/') == std::string::npos ? "" : parent_of(rel);
  with_files([&](RemoteFiles& f) {
    RemoteSource src{f, [this] { note_transfer(); }};
    TreeFetcher<RemoteSource> fetcher(src, remote_root, target_name());
    if (dir.empty()) {
      fetcher.fetch(join(remote_root, rel), root, rel);
    } else {
      ConfinedDir parent = root.descend(dir);
      fetcher.fetch(join(remote_root, rel), parent, last_part_of(rel));
    }
  });
}

std::vector<bool> FilesTransport::fetch_files(const std::vector<FileFetch>& items) {
  if (items.empty()) return {};
  std::vector<bool> fetched = with_files([&](RemoteFiles& f) { return f.fetch_files(items); });
  size_t moved = 0;
  for (bool b : fetched) moved += b ? 1 : 0;
  for (size_t i = 0; i < moved; ++i) note_transfer();
  if (moved > 0) note_bulk_fetch();
  return fetched;
}

void FilesTransport::make_dirs(const std::string& path, uint32_t mode) {
  refuse_nul(path, "path");
  with_files([&](RemoteFiles& f) { f.make_dirs(path, mode); });
}

FileInfo FilesTransport::stat(const std::string& path) {
  refuse_nul(path, "path");
  return with_files([&](RemoteFiles& f) { return f.stat(path); });
}

std::vector<std::string> FilesTransport::list_dir(const std::string& path) {
  refuse_nul(path, "path");
  return with_files([&](RemoteFiles& f) { return f.list_dir(path); });
}

void FilesTransport::remove(const std::string& path, bool recursive) {
  refuse_nul(path, "path");
  with_files([&](RemoteFiles& f) { f.remove(path, recursive); });
}

std::string FilesTransport::resolve_path(const std::string& path) {
  refuse_nul(path, "path");
  if (!path.empty() && path[0] == '/') return path;
  std::string home;
  {
    std::lock_guard<std::mutex> lk(home_mu_);
    home = home_;
  }
  if (home.empty()) {
    home = with_files([&](RemoteFiles& f) { return f.home(); });
    std::lock_guard<std::mutex> lk(home_mu_);
    home_ = home;
  }
  if (path.empty() || path == "~" || path == ".") return home;
  if (path.rfind("~/", 0) == 0) return join(home, path.substr(2));
  return join(home, path);
}

}  // namespace xrun::ssh
