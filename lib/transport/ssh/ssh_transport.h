// The Transport of one remote machine: commands and files over the shared
// HostPool of its (host, port, user).
#pragma once
#include <memory>
#include <mutex>

#include "transport/ssh/host_pool.h"
#include "transport/ssh/files_transport.h"
#include "transport/ssh/remote_files.h"

namespace xrun::ssh {

class SshTransport final : public FilesTransport {
 public:
  SshTransport(std::shared_ptr<HostPool> pool, SshTarget target);

  CommandResult run(const std::string& command, const std::string& stdin_data = "",
                    int64_t timeout_ms = 0) override;
  std::vector<CheckStep> check() override;
  TransportStats stats() const override;

 private:
  // The file operations of one session, run on its I/O thread; retried
  // once on a fresh session if that one turns out dead (every file
  // operation here is idempotent).
  void use_files(const std::function<void(RemoteFiles&)>& op) override;
  void note_transfer() override;
  void note_bulk_fetch() override;
  std::string target_name() const override;

  std::shared_ptr<HostPool> pool_;
  SshTarget target_;
};

}  // namespace xrun::ssh
