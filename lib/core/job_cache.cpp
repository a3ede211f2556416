#include "core/job_cache.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/state.h"
#include "transport/ssh/sha256.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace xrun {

namespace fs = std::filesystem;

namespace {

std::string file_sha256(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(XRUN_E_IO, "cache: cannot read \"" + path.string() + "\": " + std::strerror(errno));
  ssh::Sha256 hash;
  std::string buffer(1 << 16, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.update(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) throw Error(XRUN_E_IO, "cache: reading \"" + path.string() + "\" failed");
  return hash.hex_digest();
}

// A directory's entries as [relative path, what it holds], sorted: files by
// their SHA-256, symlinks by their target (never followed: no loop, and a
// link is copied as what it says), directories as "dir".
void add_tree(const fs::path& root, const fs::path& dir, cJSON* out) {
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) entries.push_back(entry);
  if (ec) throw Error(XRUN_E_IO, "cache: cannot list \"" + dir.string() + "\": " + ec.message());
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) { return a.path() < b.path(); });
  for (const auto& entry : entries) {
    const std::string rel = fs::relative(entry.path(), root).generic_string();
    std::string what;
    if (entry.is_symlink()) what = "link:" + fs::read_symlink(entry.path()).string();
    else if (entry.is_directory()) what = "dir";
    else what = file_sha256(entry.path());
    cJSON* pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateString(rel.c_str()));
    cJSON_AddItemToArray(pair, cJSON_CreateString(what.c_str()));
    cJSON_AddItemToArray(out, pair);
    if (what == "dir") add_tree(root, entry.path(), out);
  }
}

json::Ptr upload_entry(const std::string& path) {
  json::Ptr entry = json::object();
  const fs::path local(expand_user(path));
  json::set_string(entry.get(), "name", base_name(path));
  std::error_code ec;
  if (fs::is_directory(local, ec)) {
    json::Ptr tree = json::array();
    add_tree(local, local, tree.get());
    json::set_node(entry.get(), "tree", std::move(tree));
  } else {
    json::set_string(entry.get(), "sha256", file_sha256(local));
  }
  return entry;
}

}  // namespace

void check_cacheable(const JobSpec& spec) {
  if (!spec.array.empty())
    throw Error(XRUN_E_INVALID, "job spec: $.cache: a job array cannot use the cache (one result per task)");
  if (!spec.depends_on.empty())
    throw Error(XRUN_E_INVALID,
                "job spec: $.cache: a job with \"depends_on\" cannot use the cache (its parents' outputs are "
                "inputs the hash does not see)");
}

std::string content_hash(const Machine& m, const JobSpec& spec) {
  // A canonical JSON text of every input (keys in a fixed order, env
  // sorted by std::map), hashed: unambiguous, and a version to change it.
  json::Ptr root = json::object();
  cJSON* o = root.get();
  json::set_int(o, "v", 1);
  json::set_string(o, "command", spec.shell_command());
  if (spec.workdir) json::set_string(o, "workdir", *spec.workdir);
  json::Ptr env = json::object();
  for (const auto& [k, v] : spec.env) json::set_string(env.get(), k.c_str(), v);
  json::set_node(o, "env", std::move(env));
  json::Ptr uploads = json::array();
  std::vector<std::string> paths = spec.upload;
  std::sort(paths.begin(), paths.end(),
            [](const std::string& a, const std::string& b) { return base_name(a) < base_name(b); });
  for (const auto& path : paths) cJSON_AddItemToArray(uploads.get(), upload_entry(path).release());
  json::set_node(o, "upload", std::move(uploads));
  json::set_string(o, "machine", m.name);
  const Resources r = m.resources.merged_with(spec.resources);
  json::Ptr res = json::object();
  json::set_optional_int(res.get(), "nodes", r.nodes);
  json::set_optional_int(res.get(), "tasks_per_node", r.tasks_per_node);
  json::set_optional_int(res.get(), "cpus_per_task", r.cpus_per_task);
  json::set_optional_string(res.get(), "memory", r.memory);
  json::set_optional_string(res.get(), "walltime", r.walltime);
  json::set_optional_string(res.get(), "partition", r.partition);
  json::set_optional_string(res.get(), "account", r.account);
  json::set_optional_string(res.get(), "qos", r.qos);
  json::set_node(o, "resources", std::move(res));
  json::set_string(o, "parser", spec.parser);
  json::set_string(o, "parse_file", spec.parser.empty() ? "" : spec.parse_file);
  return ssh::sha256_hex(json::print(o));
}

void complete_from_cache(Store& store, const JobRecord& job, const JobRecord& source) {
  JobUpdate update;
  update.exit_code = source.exit_code;
  update.result_json = source.result_json;
  // Its files are the original's: read them there.
  update.job_dir = source.job_dir;
  update.ended_ms = wall_ms();
  update.reason = "cached from " + source.id;
  update.waiting_for = WaitingFor::Nothing;
  std::string message = state_name(XRUN_STATE_COMPLETED);
  if (source.exit_code) message += " (exit " + std::to_string(*source.exit_code) + ")";
  message += ": " + *update.reason;
  store.transition(job.id, {XRUN_STATE_CREATED}, XRUN_STATE_COMPLETED, update, message);
}

}  // namespace xrun
