// The Transport of one remote machine: commands and files over the shared
// HostPool of its (host, port, user).
#pragma once
#include <memory>
#include <mutex>

#include "transport/ssh/host_pool.h"
#include "transport/ssh/remote_files.h"

namespace xrun::ssh {

class SshTransport final : public Transport {
 public:
  SshTransport(std::shared_ptr<HostPool> pool, SshTarget target);

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
  // Runs `op` with the file operations of a borrowed session; retries once
  // on a fresh session if the borrowed one turns out dead (every file
  // operation here is idempotent).
  template <class Op>
  auto with_files(Op&& op) -> decltype(op(std::declval<RemoteFiles&>()));

  // The error for a call the watchdog ended; breaks the connection.
  Error overdue(Connection& conn, const std::string& what, bool started);

  std::shared_ptr<HostPool> pool_;
  SshTarget target_;
  std::mutex home_mu_;
  std::string home_;
};

}  // namespace xrun::ssh
