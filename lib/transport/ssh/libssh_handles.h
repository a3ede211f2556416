// RAII owners for libssh handles. Only lib/transport/ssh includes libssh.
#pragma once
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <memory>

namespace xrun::ssh {

struct SessionDeleter {
  void operator()(ssh_session s) const {
    if (ssh_is_connected(s)) ssh_disconnect(s);
    ssh_free(s);
  }
};
struct ChannelDeleter {
  void operator()(ssh_channel c) const { ssh_channel_free(c); }
};
struct SftpDeleter {
  void operator()(sftp_session s) const { sftp_free(s); }
};
struct SftpFileDeleter {
  void operator()(sftp_file f) const { sftp_close(f); }
};
struct SftpDirDeleter {
  void operator()(sftp_dir d) const { sftp_closedir(d); }
};
struct SftpAttributesDeleter {
  void operator()(sftp_attributes a) const { sftp_attributes_free(a); }
};
struct KeyDeleter {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
struct CStringDeleter {
  void operator()(char* s) const { ssh_string_free_char(s); }
};

using SessionPtr = std::unique_ptr<ssh_session_struct, SessionDeleter>;
using ChannelPtr = std::unique_ptr<ssh_channel_struct, ChannelDeleter>;
using SftpPtr = std::unique_ptr<sftp_session_struct, SftpDeleter>;
using SftpFilePtr = std::unique_ptr<sftp_file_struct, SftpFileDeleter>;
using SftpDirPtr = std::unique_ptr<sftp_dir_struct, SftpDirDeleter>;
using SftpAttributesPtr = std::unique_ptr<sftp_attributes_struct, SftpAttributesDeleter>;
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyDeleter>;
using SshCString = std::unique_ptr<char, CStringDeleter>;

}  // namespace xrun::ssh
