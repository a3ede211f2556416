#include "core/context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "transport/ssh/ssh_pool.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

namespace {

std::string default_home() {
  const char* env = getenv("XRUN_HOME");
  if (env && *env) return expand_user(env);
  return expand_user("~/.xrun");
}

void ensure_private_dir(const std::string& path, const Logger& logger) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw Error(XRUN_E_IO, "XRUN_HOME " + path + " is not a directory");
    // Others who can write here can replace machines.json or the store.
    // Said, never changed: the mode is the owner's decision (and xrun
    // never loosens one).
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
      char mode[8];
      snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      logger.warn("XRUN_HOME " + path + " is writable by " + ((st.st_mode & S_IWOTH) ? "everyone" : "its group") +
                  " (mode " + mode + "): they can replace machines.json or the job store. xrun leaves the mode as "
                  "it is; make it private: chmod go-w " + path);
    }
    return;
  }
  // mkdir -p, the last component private.
  std::string partial;
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    mode_t mode = pos == std::string::npos ? 0700 : 0755;
    if (mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
      throw Error(XRUN_E_IO, "cannot create " + partial + ": " + strerror(errno));
  }
}

std::string this_host() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// The store's location: the caller's, else $XRUN_STORE (a file path or a
// postgresql:// URL shared by several hosts), else <home>/xrun.db.
std::string store_location(const std::string& given, const std::string& home) {
  if (!given.empty()) return is_postgresql_url(given) ? given : expand_user(given);
  const char* env = getenv("XRUN_STORE");
  if (env && *env) return is_postgresql_url(env) ? std::string(env) : expand_user(env);
  return home + "/xrun.db";
}

}  // namespace

Context::Context(const ContextOptions& options)
    : home_(options.home.empty() ? default_home() : expand_user(options.home)), logger_(options.logger) {
  while (home_.size() > 1 && home_.back() == '/') home_.pop_back();
  store_path_ = store_location(options.store_path, home_);
  // The lease owner: which process (and which context in it) polls.
  std::string owner =
      this_host() + "/" + std::to_string(getpid()) + "/" + std::to_string(reinterpret_cast<uintptr_t>(this));
  MachineConfig config;
  std::string config_error;
  if (options.read_only) {
    // A store-only context reads jobs whatever state the machine files are
    // in; only calls that need a machine get the configuration error.
    try {
      config = load_machines(home_);
    } catch (const Error& e) {
      if (e.status() != XRUN_E_CONFIG) throw;
      config_error = e.what();
      logger_.warn(std::string("machine configuration not loaded (reading the store only): ") + e.what());
      config = load_machines("");
    }
  } else {
    config = load_machines(home_);
    ensure_private_dir(home_, logger_);
  }
  for (const auto& warning : config.warnings) logger_.warn(warning);
  SshCallbacks callbacks;
  callbacks.logger = logger_;
  callbacks.prompt = options.prompt;
  callbacks.prompt_payload = options.prompt_payload;
  machines_ = std::make_unique<MachineAccess>(std::move(config), home_, callbacks, std::move(config_error));
  store_ = open_store(store_path_, options.read_only ? Store::Mode::ReadOnly : Store::Mode::ReadWrite);
  store_path_ = store_->path();  // as the store shows it: a URL loses its password here
  store_->set_write_listener([this] { wakeup_.notify_change(); });
  dependencies_ = std::make_unique<Dependencies>(*store_, *machines_, logger_);
  submission_ = std::make_unique<Submission>(*store_, *machines_, *dependencies_, logger_);
  retrying_ = std::make_unique<Retrying>(*store_, *machines_, logger_);
  finishing_ = std::make_unique<Finishing>(*store_, *machines_, logger_, home_, *retrying_);
  polling_ = std::make_unique<Polling>(*store_, *machines_, *submission_, *finishing_, *dependencies_, wakeup_,
                                       logger_, owner);
  cancelling_ = std::make_unique<Cancelling>(*store_, *machines_, *polling_, *dependencies_);
  waiting_ = std::make_unique<Waiting>(*store_, *polling_, wakeup_);
  recovery_ = std::make_unique<Recovery>(*store_, *machines_);
  logger_.debug("context opened: home " + home_ + ", store " + store_path_);
}

Context::~Context() = default;

JobRecord Context::job(const std::string& id) const {
  auto record = store_->get_job(id);
  if (!record) throw Error(XRUN_E_NOT_FOUND, "no job with id \"" + id + "\"");
  return *record;
}

}  // namespace xrun
