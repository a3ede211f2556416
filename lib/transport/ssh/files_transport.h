// The file half of a remote Transport, written once over RemoteFiles:
// recursive uploads, confined downloads and retrieves (fetch_tree.h), the
// home directory. A concrete transport (libssh's SshTransport, the
// OpenSSH one) says how to get a RemoteFiles for one operation.
#pragma once
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>

#include "transport/ssh/remote_files.h"
#include "transport/transport.h"

namespace xrun::ssh {

class FilesTransport : public Transport {
 public:
  void write_file(const std::string& path, const std::string& content, uint32_t mode = 0644) override;
  std::string read_file(const std::string& path, int64_t max_bytes) override;
  void upload(const std::string& local_path, const std::string& remote_path) override;
  void download(const std::string& remote_path, const std::string& local_path) override;
  void retrieve(const std::string& remote_root, const std::string& rel, const std::string& local_root) override;
  std::vector<bool> fetch_files(const std::vector<FileFetch>& items) override;
  void make_dirs(const std::string& path, uint32_t mode = 0755) override;
  FileInfo stat(const std::string& path) override;
  std::vector<std::string> list_dir(const std::string& path) override;
  void remove(const std::string& path, bool recursive) override;
  std::string resolve_path(const std::string& path) override;

 protected:
  // Runs `op` on the file operations of one connection, within the
  // machine's command timeout (and the caller's deadline).
  virtual void use_files(const std::function<void(RemoteFiles&)>& op) = 0;
  // One file moved (for the counters).
  virtual void note_transfer() = 0;
  // One bulk fetch that moved files (for the counters).
  virtual void note_bulk_fetch() = 0;
  // "user@host:port", for messages.
  virtual std::string target_name() const = 0;

 private:
  template <class Op>
  auto with_files(Op&& op) -> decltype(op(std::declval<RemoteFiles&>())) {
    using Result = decltype(op(std::declval<RemoteFiles&>()));
    if constexpr (std::is_void_v<Result>) {
      use_files(op);
    } else {
      std::optional<Result> result;
      use_files([&](RemoteFiles& f) { result = op(f); });
      return std::move(*result);
    }
  }

  std::mutex home_mu_;
  std::string home_;
};

}  // namespace xrun::ssh
