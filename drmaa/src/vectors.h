// The opaque string vectors of the binding (attribute names, attribute
// values, job ids): a list of strings and a read position.
#pragma once
#include <mutex>
#include <string>
#include <vector>

struct xdrmaa_string_vector {
  std::mutex mutex;  // drmaa_get_next_* may be called from several threads
  std::vector<std::string> items;
  size_t next = 0;
};

struct drmaa_attr_names_s : xdrmaa_string_vector {};
struct drmaa_attr_values_s : xdrmaa_string_vector {};
struct drmaa_job_ids_s : xdrmaa_string_vector {};

namespace xdrmaa {
template <typename V>
V* new_vector(std::vector<std::string> items) {
  V* v = new V;
  v->items = std::move(items);
  return v;
}
}  // namespace xdrmaa
