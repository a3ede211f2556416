// The local transport: commands run as /bin/sh -c on this host (posix_spawn
// in a new process group, so a timeout kills everything the command
// started), files are plain file-system operations.
#pragma once
#include <atomic>

#include "transport/transport.h"

namespace xrun {

class LocalTransport : public Transport {
 public:
  // default_timeout_ms applies when run() is given none.
  explicit LocalTransport(int64_t default_timeout_ms = 120000);

  CommandResult run(const std::string& command, const std::string& stdin_data = "",
                    int64_t timeout_ms = 0) override;
  void write_file(const std::string& path, const std::string& content, uint32_t mode = 0644) override;
  std::string read_file(const std::string& path, int64_t max_bytes) override;
  void upload(const std::string& local_path, const std::string& remote_path) override;
  void download(const std::string& remote_path, const std::string& local_path) override;
  void retrieve(const std::string& remote_root, const std::string& rel, const std::string& local_root) override;
  void make_dirs(const std::string& path, uint32_t mode = 0755) override;
  FileInfo stat(const std::string& path) override;
  std::vector<std::string> list_dir(const std::string& path) override;
  void remove(const std::string& path, bool recursive) override;
  std::string resolve_path(const std::string& path) override;
  std::vector<CheckStep> check() override;
  TransportStats stats() const override;

 private:
  int64_t default_timeout_ms_;
  std::atomic<int64_t> commands_{0};
  std::atomic<int64_t> transfers_{0};
};

// Copies a file or a directory tree on this host, keeping mode bits; a file
// is written to a temporary name and renamed. Used by LocalTransport and by
// core when it retrieves a local job's files.
void copy_tree_local(const std::string& from, const std::string& to);

}  // namespace xrun
